/** @module test/helpers/server — the real edge server on a random port, over SQLite or PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type AppOptions, createApp } from '../../edge-server/src/app';
import { openSqlite } from '../../edge-server/src/storage/sqlite';
import type { Storage } from '../../edge-server/src/storage/types';

export const TOKEN = 'test-operator-token';

export interface TestServer {
  url: string;
  storage: Storage;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

/** A fresh SQLite file in a temporary directory. */
export function tempSqlite(): { storage: Storage; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'aisle-test-'));
  return {
    storage: openSqlite(join(dir, 'aisle.db')),
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts the app over `storage` (migrated, with the site `demo` allowed from its own origin). */
export async function startServer(
  storage: Storage,
  options: Partial<Omit<AppOptions, 'storage'>> = {},
  origins: string[] = [],
): Promise<TestServer> {
  await storage.migrate();
  const app = createApp({ storage, operatorToken: TOKEN, ...options });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  await storage.putSite({
    key: 'demo',
    name: 'Demo',
    origins: [url, `http://localhost:${port}`, ...origins],
    created_at: Date.now(),
  });
  return {
    url,
    storage,
    app,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
