/** @module test/helpers/server — the real edge server on a random port, over SQLite or PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type AppOptions, createApp } from '../../edge-server/src/app';
import { type Compressed, compressOnce, sendCompressed } from '../../edge-server/src/compressed';
import { openSqlite } from '../../edge-server/src/storage/sqlite';
import type { Storage } from '../../edge-server/src/storage/types';
import { mountDemo } from '../../examples/storefront/app';

export const TOKEN = 'test-operator-token';

export interface TestServer {
  url: string;
  storage: Storage;
  app: ReturnType<typeof createApp>;
  /** A request handed to the app itself (`app.request`), no socket: for tests of routes, not of HTTP. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** While down, POST /v1/events answers 503, as an edge node in trouble would. */
  setDown(down: boolean): void;
  /** Every request the server answered over its socket: path, status, Content-Encoding and a GET's bytes as sent. */
  served: { path: string; status: number; encoding: string | null; length: number | null }[];
  /** Serves `html` at a fresh `/test/...` path of the server's origin and returns its URL. */
  page(html: string, headers?: Record<string, string>): string;
  /**
   * Serves `bytes` as `type` at a fresh `/test/...` path, compressed once as the edge compresses its
   * scripts and wasm (Brotli at 11, or `quality`; or compressed already), so that `served` counts
   * them as they would travel.
   */
  file(bytes: Uint8Array | Promise<Compressed>, type: string, quality?: number): string;
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

/** What a test may set: the app's options, and the demo shop's key (the shop is on unless `demo: false`). */
export type TestServerOptions = Partial<Omit<AppOptions, 'storage'>> & { demo?: boolean; demoKey?: string };

/** Starts the app over `storage` (migrated, with the site `demo` allowed from its own origin), with the demo shop as `npm start` has it. */
export async function startServer(
  storage: Storage,
  { demo = true, demoKey, ...options }: TestServerOptions = {},
  origins: string[] = [],
): Promise<TestServer> {
  await storage.migrate();
  // No models unless a test brings its own: what the developer's own .aisle/models holds must not matter.
  const app = createApp({
    storage,
    operatorToken: TOKEN,
    modelsDir: mkdtempSync(join(tmpdir(), 'aisle-models-')),
    // One writer per test: what a test stored is on the dashboard at once, on PostgreSQL too.
    rollupSettleMs: 0,
    ...options,
  });
  if (demo) mountDemo(app, { key: demoKey });
  // Test pages share the server's origin, so the site allow-list and same-origin rules apply as on a shop.
  const pages = new Map<string, { html: string; headers: Record<string, string> }>();
  app.get('/test/:name', (c) => {
    const found = pages.get(c.req.param('name'));
    return found ? c.html(found.html, 200, found.headers) : c.notFound();
  });
  const files = new Map<string, { body: Promise<Compressed>; type: string }>();
  app.get('/test/files/:name', async (c) => {
    const found = files.get(c.req.param('name'));
    if (!found) return c.notFound();
    c.header('Access-Control-Allow-Origin', '*');
    return sendCompressed(c, await found.body, found.type);
  });
  let counter = 0;
  let down = false;
  const served: TestServer['served'] = [];
  const server = serve({
    fetch: async (req, env) => {
      const path = new URL(req.url).pathname;
      const res =
        down && path === '/v1/events'
          ? Response.json({ error: 'service unavailable', details: [] }, { status: 503 })
          : await app.fetch(req, env);
      // The bytes as they travel (compressed where they are): read from a copy, every body here being finite.
      const length = req.method === 'GET' && res.body ? (await res.clone().arrayBuffer()).byteLength : null;
      served.push({ path, status: res.status, encoding: res.headers.get('Content-Encoding'), length });
      if (served.length > 10_000) served.splice(0, 5_000);
      return res;
    },
    port: 0,
    hostname: '127.0.0.1',
  });
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
    served,
    request: async (path, init) => app.request(path, init),
    setDown(value) {
      down = value;
    },
    page(html, headers = {}) {
      const name = `page-${++counter}.html`;
      pages.set(name, { html, headers });
      return `${url}/test/${name}`;
    },
    file(bytes, type, quality = 11) {
      const name = `file-${++counter}`;
      files.set(name, { body: bytes instanceof Uint8Array ? compressOnce(bytes, quality) : bytes, type });
      return `${url}/test/files/${name}`;
    },
    async close() {
      await app.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
