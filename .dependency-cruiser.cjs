/**
 * The layer table of docs/ARCHITECTURE.md, enforced: `npm test` runs dependency-cruiser over every
 * package, and an import across the table fails it. Type-only imports count too. A package reaches
 * another only by its name (`@aisle/shared-models/...`), never by a relative path into its sources.
 */

/** Everything a package's own tests and fixtures may import besides: they sit beside the code. */
const TESTS = '\\.test\\.ts$';
/** Node's built-in modules, by either spelling. */
const NODE = { dependencyTypes: ['core'] };

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const forbidden = [
  {
    name: 'shared-models-is-pure',
    comment: 'shared-models runs in browsers and in Node alike: TensorFlow.js, Zod, Ajv and canonicalize, nothing else',
    severity: 'error',
    from: { path: '^shared-models/src', pathNot: TESTS },
    to: {
      pathNot: [
        '^shared-models/src',
        '^node_modules/(@tensorflow/tfjs[^/]*|zod|ajv|canonicalize)(/|$)',
        '^node_modules/@aisle/shared-models/',
      ],
    },
  },
  {
    name: 'shared-models-has-no-node',
    severity: 'error',
    from: { path: '^shared-models/src' },
    to: NODE,
  },
  {
    name: 'extension-runs-in-browsers',
    comment:
      'the tag, its workers and the MV3 extension import shared-models and browser libraries, never Node or the server',
    severity: 'error',
    from: { path: '^extension/src', pathNot: TESTS },
    to: { path: ['^(edge-server|training|examples|test)/', '^node_modules/@aisle/(edge-server|training|storefront)/'] },
  },
  {
    name: 'extension-has-no-node',
    severity: 'error',
    from: { path: '^extension/src', pathNot: TESTS },
    to: NODE,
  },
  {
    name: 'edge-server-serves-the-product',
    comment: 'the server never imports the CLI or the demo: the demo composes the server, not the reverse',
    severity: 'error',
    from: { path: '^edge-server/src', pathNot: TESTS },
    to: { path: ['^(training|examples|extension|test)/', '^node_modules/@aisle/(training|storefront|extension)/'] },
  },
  {
    name: 'dashboard-reads-only-types-of-the-server',
    comment: 'the dashboard runs in the merchant’s browser: of the server it may read the shapes its API answers with',
    severity: 'error',
    from: { path: '^edge-server/src/dashboard' },
    to: {
      path: '^edge-server/src',
      pathNot: ['^edge-server/src/dashboard', '^edge-server/src/storage/rollups/types\\.ts$'],
    },
  },
  {
    name: 'training-reads-the-store-read-only',
    comment: 'the CLI reads a store through the storage package’s read-only reader, never its writer threads',
    severity: 'error',
    from: { path: '^training/(src|bin)', pathNot: TESTS },
    to: {
      path: [
        '^(edge-server|examples|extension|test)/',
        '^node_modules/@aisle/(storefront|extension)/',
        '^node_modules/@aisle/edge-server/',
      ],
      pathNot: ['^node_modules/@aisle/edge-server/src/storage/reader\\.ts$'],
    },
  },
  {
    name: 'packages-by-name',
    comment: 'another package is reached by its name and its front doors, never by a relative path into its sources',
    severity: 'error',
    from: { path: '^(shared-models|extension|edge-server|training|examples/storefront)/' },
    to: { path: '^(shared-models|extension|edge-server|training|examples/storefront)/', pathNot: '^$1/' },
  },
  {
    name: 'devices-never-train',
    comment: 'SASRec’s training graph (initialisation, loss) stays out of the browser; the device runs sasrec-infer',
    severity: 'error',
    from: { path: '^extension/src' },
    to: { path: '(^|/)shared-models/src/models/recommender/sasrec-train\\.ts$' },
  },
  {
    name: 'no-circular',
    comment: 'modules that import each other in a circle cannot be read, loaded or tested one at a time',
    severity: 'error',
    from: { pathNot: '^test/' },
    to: { circular: true },
  },
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep `node_modules/@aisle/...` as the path of a package imported by name, to tell it from a relative path.
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    exclude: { path: '(^|/)(dist|node_modules/\\.vite)/' },
  },
};
