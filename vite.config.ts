/** @module vite.config — builds the storefront script (dist/aisle.js) and configures Vitest. */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __AISLE_VERSION__: JSON.stringify(version) },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    sourcemap: true,
    lib: {
      entry: 'extension/src/embed/index.ts',
      name: 'aisleEmbed',
      formats: ['iife'],
      fileName: () => 'aisle.js',
    },
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Chromium and PostgreSQL tests start their own servers on random ports; files may run side by side.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
