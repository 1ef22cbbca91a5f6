/**
 * The layer table holds: dependency-cruiser, with the rules `npm test` runs (.dependency-cruiser.cjs),
 * finds nothing across the table in the tree, and finds each deliberately wrong import in a small
 * tree made for the purpose: Node in shared-models, the CLI from the server, the server from the
 * browser code, a relative path into another package, training code on the device, a circle.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseOptions, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as {
  forbidden: IForbiddenRuleType[];
  options: ICruiseOptions;
};
const PACKAGES = ['shared-models', 'extension', 'edge-server', 'training', 'examples/storefront'];

/** The rules each violation broke, as `rule: from → to`. */
async function violations(baseDir: string, options: Partial<ICruiseOptions> = {}): Promise<string[]> {
  const { output } = await cruise(
    PACKAGES,
    { ...config.options, ...options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } },
    { extensions: ['.ts', '.js', '.mjs', '.json'] },
  );
  if (typeof output === 'string') throw new Error(output);
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe('the layer table', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'aisle-layers-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };

  it('holds on the tree', async () => {
    expect(await violations(process.cwd())).toEqual([]);
  }, 60_000);

  it('fails on each deliberately wrong import', async () => {
    file('shared-models/src/schema.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n");
    file('training/src/train.ts', 'export const train = 1;\n');
    file('edge-server/src/app.ts', "import { train } from '../../training/src/train';\nexport const app = train;\n");
    file('extension/src/tag.ts', "import { app } from '../../edge-server/src/app';\nexport const tag = app;\n");
    file(
      'examples/storefront/shop.ts',
      "import { a } from '../../shared-models/src/schema';\nexport const shop = a;\n",
    );
    file(
      'examples/storefront/server.ts',
      "import { app } from '../../edge-server/src/app';\nexport const server = app;\n",
    );
    file('shared-models/src/models/recommender/sasrec-train.ts', 'export const initWeights = 1;\n');
    file(
      'extension/src/trains.ts',
      "import { initWeights } from '../../shared-models/src/models/recommender/sasrec-train';\nexport const w = initWeights;\n",
    );
    file('edge-server/src/one.ts', "import { two } from './two';\nexport const one = () => two;\n");
    file('edge-server/src/two.ts', "import { one } from './one';\nexport const two = () => one;\n");
    const found = await violations(fixture, { tsConfig: undefined, preserveSymlinks: false });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^shared-models-has-no-node: shared-models\/src\/schema\.ts → (node:)?fs$/),
        'edge-server-serves-the-product: edge-server/src/app.ts → training/src/train.ts',
        'extension-runs-in-browsers: extension/src/tag.ts → edge-server/src/app.ts',
        'packages-by-name: examples/storefront/shop.ts → shared-models/src/schema.ts',
        'packages-by-name: examples/storefront/server.ts → edge-server/src/app.ts',
        'devices-never-train: extension/src/trains.ts → shared-models/src/models/recommender/sasrec-train.ts',
        expect.stringMatching(/^no-circular: edge-server\/src\/(one|two)\.ts → edge-server\/src\/(one|two)\.ts$/),
      ]),
    );
  }, 60_000);
});
