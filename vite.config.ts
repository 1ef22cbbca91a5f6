/**
 * @module vite.config — builds the two storefront scripts and configures Vitest.
 * `vite build` makes dist/aisle.js (every page loads it); `vite build --mode sync` makes
 * dist/aisle-sync.js (storage and sync, loaded into a worker after the page is up); `--mode infer`
 * makes dist/aisle-infer.js (TensorFlow.js and the models, loaded into a worker when the page is idle);
 * `--mode dashboard` makes dist/dashboard/ (the merchant dashboard); `--mode extension` makes
 * dist/extension/ (the browser extension, loadable unpacked).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

const ENTRIES = {
  embed: { entry: 'extension/src/embed/index.ts', file: 'aisle.js', name: 'aisleEmbed' },
  sync: { entry: 'extension/src/sync/worker.ts', file: 'aisle-sync.js', name: 'aisleSync' },
  infer: { entry: 'extension/src/infer/worker.ts', file: 'aisle-infer.js', name: 'aisleInfer' },
  recs: { entry: 'extension/src/infer/recs.ts', file: 'aisle-recs.js', name: 'aisleRecs' },
};

/** V8's explicit compile hint for a whole script: https://v8.dev/blog/explicit-compile-hints */
const COMPILE_HINT = '//# allFunctionsCalledOnLoad';

const TEST = {
  include: ['**/*.test.ts'],
  exclude: ['node_modules/**', 'dist/**'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Chromium and PostgreSQL tests start their own servers on random ports, so files run side by
  // side: at least two at a time even on two cores (Vitest's default is a core less than the
  // machine has: one), since much of a browser test is waiting on a page (the suite took 562 s
  // against 932 s one file at a time on a 2-core machine).
  pool: 'forks' as const,
  maxWorkers: Math.max(2, availableParallelism() - 1),
  globalSetup: ['test/global-setup.ts'],
};

export default defineConfig(async ({ mode }): Promise<ViteUserConfig> => {
  // `--mode extension`: the MV3 extension, built with @crxjs/vite-plugin into dist/extension.
  if (mode === 'extension') {
    // @crxjs/vite-plugin 3.0.0 builds content scripts as IIFE with `inlineDynamicImports` beside the
    // `codeSplitting: false` Vite 8 sets for a library, and rolldown warns on each (harmless: both ask
    // for one file). Rolldown's own logger reads this level when first loaded, after this config;
    // Vite's messages, errors and other rolldown errors still print. Remove once crxjs stops passing it.
    process.env.CONSOLA_LEVEL ??= '0';
    const [{ crx }, { default: manifest }] = await Promise.all([
      import('@crxjs/vite-plugin'),
      import('./extension/manifest.config.ts'),
    ]);
    return {
      root: 'extension',
      define: { __AISLE_VERSION__: JSON.stringify(version) },
      plugins: [
        crx({ manifest }),
        (() => {
          // crxjs lists dynamically registered scripts as web-accessible to every site; they are
          // injected by the browser and need not be, and listing them lets any page detect the
          // extension. Removed from the written manifest.
          let file = '';
          return {
            name: 'aisle-no-web-accessible-scripts',
            enforce: 'post' as const,
            configResolved(config: { root: string; build: { outDir: string } }) {
              file = resolve(config.root, config.build.outDir, 'manifest.json');
            },
            closeBundle() {
              if (!existsSync(file)) return;
              const json = JSON.parse(readFileSync(file, 'utf8'));
              delete json.web_accessible_resources;
              writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
            },
          };
        })(),
      ],
      build: {
        outDir: process.env.AISLE_EXTENSION_OUT ?? '../dist/extension',
        emptyOutDir: true,
        target: 'es2022',
        // The inference worker carries TensorFlow.js in one chunk by design (`npm run bench -- size` reports its bytes).
        chunkSizeWarningLimit: 2048,
        // Pages the manifest does not name: the offscreen host and the inspector.
        rollupOptions: { input: { offscreen: 'src/ext/offscreen.html', inspector: 'src/ext/inspector.html' } },
      },
      test: TEST,
    };
  }
  // `--mode dashboard`: the merchant dashboard, a page of its own served at /dashboard/.
  if (mode === 'dashboard') {
    return {
      root: 'edge-server/src/dashboard',
      base: '/dashboard/',
      build: {
        outDir: '../../../dist/dashboard',
        emptyOutDir: true,
        target: 'es2022',
        sourcemap: true,
        // TensorFlow.js (about 1.4 MB) is a chunk of its own that only the recommendation preview loads.
        chunkSizeWarningLimit: 2000,
      },
      test: TEST,
    };
  }
  // `--mode infer`: an ES module for a module worker, so that each TensorFlow.js backend but the
  // CPU one is a chunk of its own (`aisle-infer-<backend>-<hash>.js`, named by content: immutable),
  // fetched only by a device that tries it. `@tensorflow/tfjs` is the lean core there (infer/tf-lean).
  if (mode === 'infer') {
    const { entry, file } = ENTRIES.infer;
    return {
      define: { __AISLE_VERSION__: JSON.stringify(version) },
      resolve: { alias: { '@tensorflow/tfjs': resolve('extension/src/infer/tf-lean.ts') } },
      build: {
        outDir: 'dist',
        emptyOutDir: false,
        target: 'es2022',
        sourcemap: true,
        lib: { entry, formats: ['es'], fileName: () => file },
        // What the backends share with the rest is one chunk (one more request, at the same time as
        // nothing else); the entry exports nothing, since the page loads it by a versioned URL that
        // the chunks, importing it, would load a second time.
        rollupOptions: {
          output: {
            chunkFileNames: 'aisle-infer-[name]-[hash].js',
            codeSplitting: { groups: [{ name: 'shared', minShareCount: 2 }] },
          },
        },
      },
      test: TEST,
    };
  }
  const { entry, file, name } = mode === 'sync' || mode === 'recs' ? ENTRIES[mode] : ENTRIES.embed;
  return {
    define: { __AISLE_VERSION__: JSON.stringify(version) },
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      target: 'es2020',
      sourcemap: true,
      lib: { entry, name, formats: ['iife'], fileName: () => file },
      // V8's compile hint (Chrome 136+; other browsers read a comment): every function is compiled
      // while the script streams in, off the main thread, instead of each on its first call, on it.
      // These scripts call most of what they hold as they start, and the tag's first run was the
      // page's one long task at 4x CPU (its EvaluateScript 15.6-33.8 ms, median 24.6, without;
      // 9.0-28.5, median 10, with: traces of 8 first visits each on a 2-core machine). Added after
      // minification, which would drop it.
      rollupOptions: { output: { postBanner: COMPILE_HINT } },
    },
    test: TEST,
  };
});
