/** @module edge-server/routes/assets — serves the storefront script the merchant's tag loads. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Context, Hono } from 'hono';
import { type Compressed, compressOnce, sendCompressed } from '../compressed';
import { ApiError } from '../errors';

/** The inference script's chunks: one per GPU or wasm backend, named by their content. */
const INFER_CHUNK = /^aisle-infer-[\w-]+\.js(\.map)?$/;

/**
 * Serves `aisle.js`, `aisle-sync.js`, `aisle-recs.js`, `aisle-infer.js` and its chunks (and their source maps) from
 * `distDir`, compressed once (Brotli or gzip, as the client accepts), with an ETag and a short cache
 * so fixes reach stores within minutes; the chunks, whose names change with their content, for a year.
 */
export function assetsRoute({ distDir }: { distDir: string }) {
  const app = new Hono();
  const cache = new Map<string, Promise<Compressed & { etag: string }>>();
  const notBuilt = (name: string) =>
    new ApiError(503, `${name} is not built`, [{ path: name, message: 'run `npm run build` first' }]);
  const load = (name: string, missing = notBuilt, path = join(distDir, name)) => {
    let entry = cache.get(path);
    if (!entry) {
      entry = readFile(path).then(
        async (body) => ({
          ...(await compressOnce(new Uint8Array(body))),
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        }),
        () => {
          throw missing(name);
        },
      );
      // Nothing failed is kept: the next request tries again.
      entry.catch(() => cache.delete(path));
      cache.set(path, entry);
    }
    return entry;
  };
  const send = async (
    c: Context,
    name: string,
    cacheControl: string,
    missing?: (name: string) => ApiError,
    path?: string,
  ) => {
    const entry = await load(name, missing, path);
    c.header('ETag', entry.etag);
    c.header('Cache-Control', cacheControl);
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Vary', 'Accept-Encoding');
    if (c.req.header('If-None-Match') === entry.etag) return c.body(null, 304);
    const type = name.endsWith('.map')
      ? 'application/json'
      : name.endsWith('.wasm')
        ? 'application/wasm'
        : 'text/javascript; charset=utf-8';
    return sendCompressed(c, entry, type);
  };
  for (const name of ['aisle.js', 'aisle-sync.js', 'aisle-recs.js', 'aisle-infer.js']) {
    app.get(`/${name}`, (c) => send(c, name, 'public, max-age=300, stale-while-revalidate=86400'));
    app.get(`/${name}.map`, (c) => send(c, `${name}.map`, 'public, max-age=300, stale-while-revalidate=86400'));
  }
  app.get('/:file{aisle-infer-[\\w-]+\\.js(\\.map)?}', (c) => {
    const file = c.req.param('file');
    if (!INFER_CHUNK.test(file))
      throw new ApiError(404, 'no such file', [{ path: file, message: 'not a chunk of aisle-infer.js' }]);
    // A chunk of another build (the page's script is older or newer than this server's) is simply not here.
    return send(
      c,
      file,
      'public, max-age=31536000, immutable',
      () => new ApiError(404, 'no such file', [{ path: file, message: 'not a chunk of this build of aisle-infer.js' }]),
    );
  });
  // TensorFlow.js's wasm backend, for the inference worker: the binaries of the installed package.
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const WASM = /^tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm$/;
  app.get('/aisle-wasm/:file', async (c) => {
    const file = c.req.param('file');
    if (!WASM.test(file))
      throw new ApiError(404, 'no such file', [{ path: file, message: 'not a wasm binary of the backend' }]);
    return send(c, file, 'public, max-age=86400', undefined, join(wasmDir, 'dist', file));
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
