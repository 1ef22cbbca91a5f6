/**
 * @module vite.config — builds the two storefront scripts and configures Vitest.
 * `vite build` makes dist/aisle.js (every page loads it); `vite build --mode sync` makes
 * dist/aisle-sync.js (storage and sync, loaded into a worker after the page is up); `--mode infer`
 * makes dist/aisle-infer.js (TensorFlow.js and the models, loaded into a worker when the page is idle);
 * `--mode dashboard` makes dist/dashboard/ (the merchant dashboard).
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

const ENTRIES = {
  embed: { entry: 'extension/src/embed/index.ts', file: 'aisle.js', name: 'aisleEmbed' },
  sync: { entry: 'extension/src/sync/worker.ts', file: 'aisle-sync.js', name: 'aisleSync' },
  infer: { entry: 'extension/src/infer/worker.ts', file: 'aisle-infer.js', name: 'aisleInfer' },
};

const TEST = {
  include: ['**/*.test.ts'],
  exclude: ['node_modules/**', 'dist/**'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // Chromium and PostgreSQL tests start their own servers on random ports; files may run side by side.
  pool: 'forks' as const,
  globalSetup: ['test/global-setup.ts'],
};

export default defineConfig(({ mode }) => {
  // `--mode dashboard`: the merchant dashboard, a page of its own served at /dashboard/.
  if (mode === 'dashboard') {
    return {
      root: 'edge-server/src/dashboard',
      base: '/dashboard/',
      build: { outDir: '../../../dist/dashboard', emptyOutDir: true, target: 'es2022', sourcemap: true },
      test: TEST,
    };
  }
  const { entry, file, name } = mode === 'sync' || mode === 'infer' ? ENTRIES[mode] : ENTRIES.embed;
  return {
    define: { __AISLE_VERSION__: JSON.stringify(version) },
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      target: 'es2020',
      sourcemap: true,
      lib: { entry, name, formats: ['iife'], fileName: () => file },
    },
    test: TEST,
  };
});
