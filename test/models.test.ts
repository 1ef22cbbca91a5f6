/** What devices download from the edge: model manifests, shards by content hash, the catalogue; and the demo's models from the first start. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoModels } from '../examples/storefront/models';
import { runAisle } from './helpers/aisle';
import { rawGet } from './helpers/http';
import { humanSessions, toCsv } from './helpers/interactions';
import { startServer, type TestServer, tempSqlite } from './helpers/server';

const dir = mkdtempSync(join(tmpdir(), 'aisle-models-'));
const modelsDir = join(dir, 'models');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('GET /v1/models and /v1/catalog', () => {
  const db = tempSqlite();
  let server: TestServer;
  const events = join(dir, 'sessions.csv');
  beforeAll(async () => {
    writeFileSync(events, toCsv(humanSessions({ users: 120, days: 30 })));
    const trained = await runAisle(dir, 'train', 'anomaly', '--events', events, '--out', join(modelsDir, 'anomaly'));
    expect(trained.code).toBe(0);
    server = await startServer(db.storage, { modelsDir });
  }, 60_000);
  afterAll(async () => {
    await server.close();
    db.remove();
  });

  it('serves the current manifest with an ETag and a short cache, and its shards by hash forever', async () => {
    const res = await fetch(`${server.url}/v1/models/anomaly/manifest`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, must-revalidate');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const etag = res.headers.get('etag') as string;
    const manifest = await res.json();
    expect(manifest).toMatchObject({ name: 'anomaly', version: 1 });
    const again = await fetch(`${server.url}/v1/models/anomaly/manifest`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    for (const shard of manifest.shards) {
      const r = await fetch(`${server.url}/v1/models/shards/${shard.sha256}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const bytes = new Uint8Array(await r.arrayBuffer());
      expect(bytes.byteLength).toBe(shard.size);
      expect(sha256(bytes)).toBe(shard.sha256);
      // As a browser fetches it: compressed, and the same bytes once decoded.
      const raw = await rawGet(`${server.url}/v1/models/shards/${shard.sha256}`, 'gzip, deflate, br');
      expect(raw.headers['content-encoding']).toBe('br');
      expect(sha256(brotliDecompressSync(raw.body))).toBe(shard.sha256);
    }
  });

  it('serves a new version as soon as it is written', async () => {
    const before = await (await fetch(`${server.url}/v1/models/anomaly/manifest`)).json();
    const retrained = await runAisle(
      dir,
      'train',
      'anomaly',
      '--events',
      events,
      '--out',
      join(modelsDir, 'anomaly'),
      '--seed',
      '7',
    );
    expect(retrained.code).toBe(0);
    const after = await (await fetch(`${server.url}/v1/models/anomaly/manifest`)).json();
    expect(after.version).toBe(before.version + 1);
    expect(after.shards.find((s: { path: string }) => s.path === 'weights.bin').sha256).not.toBe(
      before.shards.find((s: { path: string }) => s.path === 'weights.bin').sha256,
    );
  }, 60_000);

  it('answers what it does not have with a JSON 4xx naming the problem', async () => {
    const cases: [string, number, RegExp][] = [
      ['/v1/models/weather/manifest', 404, /expected one of recommender, anomaly, profile, churn/],
      ['/v1/models/churn/manifest', 404, /no churn model on this server yet/],
      ['/v1/models/shards/not-a-hash', 400, /expected 64 lower-case hex digits/],
      [`/v1/models/shards/${'0'.repeat(64)}`, 404, /no current model has a shard/],
      ['/v1/catalog', 404, /no catalogue on this server yet/],
    ];
    for (const [path, status, message] of cases) {
      const r = await fetch(`${server.url}${path}`);
      expect({ path, status: r.status }).toEqual({ path, status });
      const body = await r.json();
      expect(body.details[0].message).toMatch(message);
    }
  });
});

describe('the demo models', () => {
  it('are trained on the first start from a simulated season, with the catalogue, and kept on the next', async () => {
    const demoDir = join(dir, 'demo');
    const lines: string[] = [];
    await ensureDemoModels(demoDir, {
      shoppers: 150,
      epochs: 2,
      models: ['recommender', 'anomaly'],
      log: (l) => lines.push(l),
    }).ready;
    expect(lines.at(-1)).toMatch(/demo models ready/);
    for (const name of ['recommender', 'anomaly']) expect(existsSync(join(demoDir, name, 'manifest.json'))).toBe(true);
    const catalog = JSON.parse(readFileSync(join(demoDir, 'catalog.json'), 'utf8'));
    expect(catalog.items).toHaveLength(300);
    expect(catalog.items[0]).toMatchObject({ item_id: 'SKU-00001', in_stock: expect.any(Boolean) });
    const recommender = JSON.parse(readFileSync(join(demoDir, 'recommender', 'manifest.json'), 'utf8'));
    expect(recommender.items.length).toBeGreaterThan(100);

    const written = statSync(join(demoDir, 'recommender', 'manifest.json')).mtimeMs;
    const next: string[] = [];
    await ensureDemoModels(demoDir, {
      shoppers: 150,
      epochs: 2,
      models: ['recommender', 'anomaly'],
      log: (l) => next.push(l),
    }).ready;
    expect(next).toEqual([]);
    expect(statSync(join(demoDir, 'recommender', 'manifest.json')).mtimeMs).toBe(written);
  }, 120_000);
});
