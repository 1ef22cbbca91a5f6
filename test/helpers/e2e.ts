/** @module test/helpers/e2e — a fresh edge server (SQLite) and Chromium for one browser test file. */
import { afterAll, beforeAll } from 'vitest';
import { launch, type TestBrowser } from './browser';
import { startServer, type TestServer, tempSqlite } from './server';

export interface E2e {
  server: TestServer;
  browser: TestBrowser;
}

/** Registers the hooks that start both before the file's tests and stop both after; read the fields inside tests. */
export function useServerAndBrowser(options: { modelsDir?: () => string } = {}): E2e {
  const ctx = {} as E2e;
  let remove: (() => void) | undefined;
  beforeAll(async () => {
    const db = tempSqlite();
    remove = db.remove;
    ctx.server = await startServer(db.storage, options.modelsDir ? { modelsDir: options.modelsDir() } : {});
    ctx.browser = await launch();
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.server?.close();
    remove?.();
  });
  return ctx;
}
