/**
 * @module edge-server/routes/models — what devices download: each model's current manifest
 * (`GET /v1/models/:name/manifest`, an ETag and a short cache, so a new version reaches devices
 * within a minute), its shards by content hash (`GET /v1/models/shards/:sha256`, cacheable
 * forever), and the shop's catalogue (`GET /v1/catalog`). Until the signed registry (its own
 * issue) takes over, the current version of each model is the directory `MODELS_DIR/NAME`, as
 * `aisle train` writes it; the catalogue is `MODELS_DIR/catalog.json`.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Context, Hono } from 'hono';
import type { ModelManifest } from '../../../shared-models/src/models/manifest';
import { ApiError } from '../errors';

export const MODEL_NAMES = ['recommender', 'anomaly', 'profile', 'churn'] as const;
const SHA256 = /^[0-9a-f]{64}$/;

interface Loaded {
  body: Buffer;
  etag: string;
  mtimeMs: number;
}

/** A file read once and again only when it changes on disk, with an ETag over its bytes. */
function cachedFile() {
  const cache = new Map<string, Loaded>();
  return async (path: string): Promise<Loaded | undefined> => {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      cache.delete(path);
      return undefined;
    }
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === mtimeMs) return hit;
    const body = await readFile(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const loaded = { body, etag, mtimeMs };
    cache.set(path, loaded);
    return loaded;
  };
}

export function modelsRoute({ dir }: { dir: string }) {
  const app = new Hono();
  const read = cachedFile();
  app.use('*', async (c, next) => {
    await next();
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', 'ETag');
  });

  const serveJson = async (c: Context, path: string, missing: () => ApiError) => {
    const file = await read(path);
    if (!file) throw missing();
    c.header('ETag', file.etag);
    c.header('Cache-Control', 'public, max-age=60, must-revalidate');
    if (c.req.header('If-None-Match') === file.etag) return c.body(null, 304);
    c.header('Content-Type', 'application/json');
    return c.body(new Uint8Array(file.body));
  };

  app.get('/v1/models/shards/:sha256', async (c) => {
    const sha = c.req.param('sha256');
    if (!SHA256.test(sha)) {
      throw new ApiError(400, 'invalid shard id', [{ path: 'sha256', message: 'expected 64 lower-case hex digits' }]);
    }
    // Any current model's shard with that hash: the bytes are what the hash says, whoever asks.
    for (const name of MODEL_NAMES) {
      const manifest = await read(join(dir, name, 'manifest.json'));
      if (!manifest) continue;
      const shard = (JSON.parse(manifest.body.toString('utf8')) as ModelManifest).shards.find((s) => s.sha256 === sha);
      if (!shard) continue;
      const file = await read(join(dir, name, shard.path));
      if (!file) continue;
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      c.header('ETag', `"${sha}"`);
      c.header('Content-Type', 'application/octet-stream');
      return c.body(new Uint8Array(file.body));
    }
    throw new ApiError(404, 'no such shard', [{ path: 'sha256', message: `no current model has a shard ${sha}` }]);
  });

  app.get('/v1/models/:name/manifest', async (c) => {
    const name = c.req.param('name');
    if (!(MODEL_NAMES as readonly string[]).includes(name)) {
      throw new ApiError(404, 'no such model', [
        { path: 'name', message: `expected one of ${MODEL_NAMES.join(', ')}` },
      ]);
    }
    return serveJson(
      c,
      join(dir, name, 'manifest.json'),
      () =>
        new ApiError(404, 'model not published', [{ path: 'name', message: `no ${name} model on this server yet` }]),
    );
  });

  app.get('/v1/catalog', (c) =>
    serveJson(
      c,
      join(dir, 'catalog.json'),
      () => new ApiError(404, 'no catalogue', [{ path: '', message: 'no catalogue on this server yet' }]),
    ),
  );
  return app;
}
