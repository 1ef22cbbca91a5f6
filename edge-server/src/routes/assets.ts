/** @module edge-server/routes/assets — serves the storefront script the merchant's tag loads. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { ApiError } from '../errors';

/** Serves `aisle.js` and `aisle-sync.js` (and their source maps) from `distDir`, with an ETag and a short cache so fixes reach stores within minutes. */
export function assetsRoute({ distDir }: { distDir: string }) {
  const app = new Hono();
  const cache = new Map<string, { body: string; etag: string }>();
  const load = async (name: string) => {
    const hit = cache.get(name);
    if (hit) return hit;
    let body: string;
    try {
      body = await readFile(join(distDir, name), 'utf8');
    } catch {
      throw new ApiError(503, `${name} is not built`, [{ path: name, message: 'run `npm run build` first' }]);
    }
    const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    cache.set(name, entry);
    return entry;
  };
  for (const [name, type] of [
    ['aisle.js', 'text/javascript; charset=utf-8'],
    ['aisle.js.map', 'application/json'],
    ['aisle-sync.js', 'text/javascript; charset=utf-8'],
    ['aisle-sync.js.map', 'application/json'],
    ['aisle-infer.js', 'text/javascript; charset=utf-8'],
    ['aisle-infer.js.map', 'application/json'],
  ] as const) {
    app.get(`/${name}`, async (c) => {
      const { body, etag } = await load(name);
      c.header('ETag', etag);
      c.header('Cache-Control', 'public, max-age=300, stale-while-revalidate=86400');
      c.header('Access-Control-Allow-Origin', '*');
      if (c.req.header('If-None-Match') === etag) return c.body(null, 304);
      c.header('Content-Type', type);
      return c.body(body);
    });
  }
  // TensorFlow.js's wasm backend, for the inference worker: the binaries of the installed package.
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const WASM = /^tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm$/;
  app.get('/aisle-wasm/:file', async (c) => {
    const file = c.req.param('file');
    if (!WASM.test(file))
      throw new ApiError(404, 'no such file', [{ path: file, message: 'not a wasm binary of the backend' }]);
    const body = await readFile(join(wasmDir, 'dist', file));
    c.header('Content-Type', 'application/wasm');
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('Access-Control-Allow-Origin', '*');
    return c.body(new Uint8Array(body));
  });
  return app;
}

const DASHBOARD_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Serves the merchant dashboard's page and its hashed assets from `distDir/dashboard`. The page
 * itself holds nothing: every number comes from the admin API with the signed-in token.
 */
export function dashboardAssets({ distDir }: { distDir: string }) {
  const app = new Hono({ strict: false });
  const dir = join(distDir, 'dashboard');
  const guard = (c: { header(name: string, value: string): void }) => {
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    c.header('Referrer-Policy', 'no-referrer');
  };
  app.get('/dashboard', async (c) => {
    if (!new URL(c.req.url).pathname.endsWith('/')) return c.redirect('/dashboard/');
    let body: string;
    try {
      body = await readFile(join(dir, 'index.html'), 'utf8');
    } catch {
      throw new ApiError(503, 'the dashboard is not built', [
        { path: 'dashboard', message: 'run `npm run build` first' },
      ]);
    }
    guard(c);
    c.header('Cache-Control', 'no-cache');
    return c.html(body);
  });
  app.get('/dashboard/assets/:file', async (c) => {
    const file = c.req.param('file');
    const ext = /^[\w.-]+(\.[a-z]+)$/.exec(file)?.[1];
    const type = ext && DASHBOARD_TYPES[ext];
    if (!type || file.includes('..'))
      throw new ApiError(404, 'no such file', [{ path: file, message: 'not a dashboard asset' }]);
    let body: Buffer;
    try {
      body = await readFile(join(dir, 'assets', file));
    } catch {
      throw new ApiError(404, 'no such file', [{ path: file, message: 'not a dashboard asset' }]);
    }
    guard(c);
    // Names carry a content hash: a new build is a new name.
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('Content-Type', type);
    return c.body(new Uint8Array(body));
  });
  return app;
}
