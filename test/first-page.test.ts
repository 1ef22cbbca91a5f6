/**
 * A first visit's first page, as the edge answers it: what the device's own code shows on that
 * product's page with no other history (the same model, catalogue and rules, run in-process here
 * for comparison), for a whole model and for a head model's products outside the head; the same
 * answer for everyone, cacheable; and a JSON 4xx naming the fault for anything a careless or
 * hostile client sends.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CatalogItem, parseCatalog } from '@aisle/shared-models/models/catalog';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { recommendationServer } from '@aisle/shared-models/models/recommender';
import { generateSigningKey } from '@aisle/shared-models/models/signing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/src/backend';
import { signManifest } from '../training/src/commands/registry';
import { loadRecommender } from '../training/src/recommender-files';
import { startServer, type TestServer, TOKEN, tempSqlite } from './helpers/server';
import { syntheticModel } from './helpers/synthetic-model';

const ITEMS = 400;

/**
 * What a device with no history shows on `item`'s page, by the device's own code and as its client
 * asks (`refreshNow`): the page's `view_item` (with the category and name the page gives, if any),
 * the product left out, the page's category as the context.
 */
async function onDevice(
  dir: string,
  catalogue: CatalogItem[],
  item: string,
  k: number,
  perCategory?: number,
  page: { category?: string; name?: string } = {},
) {
  const model = await loadRecommender(dir);
  try {
    const served = await recommendationServer(model, catalogue).recommend(
      [
        {
          type: 'view_item',
          ts: Date.now(),
          items: [{ item_id: item, item_category: page.category, item_name: page.name }],
        },
      ],
      { k, perCategory, exclude: [item], item, context: page.category },
    );
    return served.items.map((i) => [i.item_id, i.reason]);
  } finally {
    model.dispose();
  }
}

/**
 * An edge server over a fresh SQLite file and a models directory that `prepare` fills (it gets the
 * server too, once started); everything removed after the suite.
 */
function useModelServer(
  name: string,
  prepare: (modelsDir: string) => Promise<void>,
  after?: (server: TestServer) => Promise<void>,
) {
  const db = tempSqlite();
  const root = mkdtempSync(join(tmpdir(), `aisle-first-${name}-`));
  const context = { modelsDir: join(root, 'models'), server: undefined as unknown as TestServer, dbDir: db.dir };
  beforeAll(async () => {
    await useBackend('wasm');
    mkdirSync(context.modelsDir, { recursive: true });
    await prepare(context.modelsDir);
    context.server = await startServer(db.storage, { modelsDir: context.modelsDir });
    await after?.(context.server);
  }, 120_000);
  afterAll(async () => {
    await context.server?.close();
    db.remove();
    rmSync(root, { recursive: true, force: true });
  });
  return context;
}

describe('the first page of a first visit, answered by the edge', () => {
  let catalogue: CatalogItem[];
  const edge = useModelServer('whole', async (modelsDir) => {
    await syntheticModel(join(modelsDir, 'recommender'), ITEMS, (i) => ({
      item_name: `Product ${i}`,
      url: `/p/I${i}`,
    }));
    catalogue = parseCatalog(JSON.parse(readFileSync(join(modelsDir, 'catalog.json'), 'utf8')));
  });
  const ask = (query: string) => fetch(`${edge.server.url}/v1/models/recommender/first-page?${query}`);

  // First in this suite: no request has decoded the model yet.
  it('has the model decoded as the edge starts, so the first shopper does not wait for it', async () => {
    await edge.server.app.firstPagesWarm();
    // The weights gone from disk: only a model decoded before this request can answer it.
    const manifest = JSON.parse(
      readFileSync(join(edge.modelsDir, 'recommender', 'manifest.json'), 'utf8'),
    ) as ModelManifest;
    const paths = manifest.shards.map((s) => join(edge.modelsDir, 'recommender', s.path));
    for (const path of paths) renameSync(path, `${path}.away`);
    try {
      const res = await ask('item=I42&k=4&site=demo');
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(4);
    } finally {
      for (const path of paths) renameSync(`${path}.away`, path);
    }
  });

  it('is what the device’s own code shows on that page, with the catalogue’s names and links, never the product itself', async () => {
    for (const [item, k, perCategory] of [
      ['I7', 4, undefined],
      ['I123', 8, 2],
      ['I399', 24, undefined],
    ] as const) {
      const res = await ask(`item=${item}&k=${k}${perCategory ? `&per_category=${perCategory}` : ''}&site=demo`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      const body = (await res.json()) as {
        model_version: number;
        items: { item_id: string; item_name?: string; url?: string; reason: string }[];
      };
      expect(body.model_version).toBe(1);
      expect(body.items).toHaveLength(k);
      expect(body.items.map((i) => [i.item_id, i.reason])).toEqual(
        await onDevice(join(edge.modelsDir, 'recommender'), catalogue, item, k, perCategory),
      );
      expect(body.items.map((i) => i.item_id)).not.toContain(item);
      for (const i of body.items) {
        expect(i.item_name).toBe(`Product ${i.item_id.slice(1)}`);
        expect(i.url).toBe(`/p/${i.item_id}`);
        expect(i.reason).not.toBe('');
      }
      if (perCategory) {
        const counts = new Map<string, number>();
        for (const i of body.items) {
          const c = catalogue.find((x) => x.item_id === i.item_id)?.item_category ?? '';
          counts.set(c, (counts.get(c) ?? 0) + 1);
        }
        expect(Math.max(...counts.values())).toBeLessThanOrEqual(perCategory);
      }
    }
    // Asked again (as every shopper on that page asks), the very same bytes.
    const again = await Promise.all([1, 2, 3].map(() => ask('item=I7&k=4&site=demo').then((r) => r.text())));
    expect(new Set(again).size).toBe(1);
  }, 60_000);

  it('answers a product the model does not know with the shop’s popular items, marked cold', async () => {
    const res = await ask('item=NOT-A-PRODUCT&k=4');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: unknown[]; cold: boolean };
    expect(body.items).toHaveLength(4);
    expect(body.cold).toBe(true);
    // A cap of k or more caps nothing: the same answer as none.
    expect(await (await ask('item=I7&k=4&per_category=4')).text()).toBe(await (await ask('item=I7&k=4')).text());
  });

  it('reads the page’s category and name as the device does', async () => {
    for (const [item, category, name] of [
      ['I10', 'C3', 'Blue kettle'],
      ['NOT-LISTED', 'C5', 'A new arrival'],
    ]) {
      const res = await ask(`item=${item}&k=6&category=${category}&name=${encodeURIComponent(name)}`);
      const body = (await res.json()) as { items: { item_id: string; reason: string }[] };
      expect(body.items.map((i) => [i.item_id, i.reason])).toEqual(
        await onDevice(join(edge.modelsDir, 'recommender'), catalogue, item, 6, undefined, { category, name }),
      );
    }
  });

  it('serves many sites at once from the one model they share, each answer whole', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => ask(`item=I${20 + i}&k=4&site=shop${i}`).then((r) => r.status)),
    );
    expect(answers).toEqual(Array(12).fill(200));
  });

  it('computes at most fifty new answers a second: past that a 503 the device shrugs off, never a wrong answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        ask(`item=I${100 + i}&k=3`).then(async (r) => ({
          status: r.status,
          retry: r.headers.get('retry-after'),
          body: await r.json(),
        })),
      ),
    );
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) expect([r.retry, r.body.error]).toEqual(['1', 'busy']);
    for (const r of results.filter((x) => x.status === 200)) expect(r.body.items).toHaveLength(3);
    expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
  });

  it('refuses what a careless or hostile client sends with a JSON 400 naming the field', async () => {
    for (const [query, field] of [
      ['', 'item'],
      ['item=', 'item'],
      [`item=${'x'.repeat(257)}`, 'item'],
      ['item=I1&k=0', 'k'],
      ['item=I1&k=25', 'k'],
      ['item=I1&k=1.5', 'k'],
      ['item=I1&k=-3', 'k'],
      ['item=I1&k=4e1', 'k'],
      ['item=I1&k=abc', 'k'],
      ['item=I1&k=99999999999999999999', 'k'],
      ['item=I1&per_category=0', 'per_category'],
      ['item=I1&per_category=x', 'per_category'],
      [`item=I1&category=${'c'.repeat(257)}`, 'category'],
      [`item=I1&name=${'n'.repeat(257)}`, 'name'],
      [`item=I1&site=${'s'.repeat(65)}`, 'site'],
      ['item=I1&site=a%20b', 'site'],
    ]) {
      const res = await ask(query);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: string; details: { path: string }[] };
      expect(
        body.details.map((d) => d.path),
        query,
      ).toContain(field);
    }
  });

  it('says so with a 404 where no recommender is published', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'aisle-first-none-'));
    const other = tempSqlite();
    const bare = await startServer(other.storage, { modelsDir: empty });
    try {
      const res = await fetch(`${bare.url}/v1/models/recommender/first-page?item=I1`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toBe('model not published');
    } finally {
      await bare.close();
      other.remove();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the first page of a head model’s product outside the head', () => {
  const edge = useModelServer('head', (modelsDir) =>
    syntheticModel(join(modelsDir, 'recommender'), 300, () => ({}), 100),
  );

  it('ranks the product’s candidates from the whole model, as a device asking the edge for them would', async () => {
    const res = await fetch(`${edge.server.url}/v1/models/recommender/first-page?item=I250&k=6`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { item_id: string; reason: string }[]; cold: boolean };
    expect(body.cold).toBe(false);
    expect(body.items).toHaveLength(6);
    // Some of what it shows lies outside the head (indexes past 100): only the candidates name those.
    expect(body.items.some((i) => Number(i.item_id.slice(1)) > 100)).toBe(true);
    expect(body.items.some((i) => i.reason === 'often viewed with I250')).toBe(true);
  });
});

describe('first pages of sites that each publish their own signed recommender', () => {
  const SITES = Array.from({ length: 6 }, (_, i) => ({ key: `shop${i}`, items: 60 + 20 * i, version: 10 + i }));
  const staging = mkdtempSync(join(tmpdir(), 'aisle-first-sites-'));
  afterAll(() => rmSync(staging, { recursive: true, force: true }));
  // No directory model: every answer must come from the site's published one.
  const edge = useModelServer(
    'sites',
    async () => {},
    async (server) => {
      for (const site of SITES) await publish(server, site);
    },
  );
  const admin = async (server: TestServer, path: string, method: string, body: BodyInit, type?: string) =>
    (
      await fetch(`${server.url}${path}`, {
        method,
        body,
        headers: { Authorization: `Bearer ${TOKEN}`, ...(type ? { 'Content-Type': type } : {}) },
      })
    ).status;
  /** Registers `site` with a key of its own and publishes a synthetic model of `items` items, signed; its shards' hashes. */
  async function publish(server: TestServer, site: { key: string; items: number; version: number }) {
    const { publicPem, privatePem } = await generateSigningKey();
    await server.storage.putSite({
      key: site.key,
      name: site.key,
      origins: ['https://shop.example'],
      created_at: 1,
    });
    const json = 'application/json';
    expect(
      await admin(server, `/v1/admin/sites/${site.key}/keys`, 'POST', JSON.stringify({ public_key: publicPem }), json),
    ).toBe(201);
    const dir = join(staging, site.key, 'recommender');
    await syntheticModel(dir, site.items);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    manifest.version = site.version;
    for (const shard of manifest.shards)
      expect([200, 201]).toContain(
        await admin(server, `/v1/admin/models/shards/${shard.sha256}`, 'PUT', readFileSync(join(dir, shard.path))),
      );
    const signed = await signManifest(manifest, privatePem, site.key);
    expect(
      await admin(server, '/v1/admin/models/recommender/versions', 'POST', JSON.stringify({ manifest: signed }), json),
    ).toBe(201);
    return manifest.shards.map((shard) => shard.sha256);
  }

  it('answers each site from its own model, more sites at once than it keeps decoded, every answer whole', async () => {
    const rounds = await Promise.all(
      [0, 1, 2].flatMap((round) =>
        SITES.map(async (site) => {
          const res = await fetch(
            `${edge.server.url}/v1/models/recommender/first-page?item=I${round + 3}&k=5&site=${site.key}`,
          );
          const body =
            res.status === 200
              ? ((await res.json()) as { model_version: number; items: { item_id: string }[] })
              : undefined;
          return { site, status: res.status, body };
        }),
      ),
    );
    for (const { site, status, body } of rounds) {
      expect(status, site.key).toBe(200);
      expect(body?.model_version).toBe(site.version);
      expect(body?.items).toHaveLength(5);
      // Only products of that site's own model.
      for (const i of body?.items ?? []) expect(Number(i.item_id.slice(1))).toBeLessThan(site.items);
    }
    // A site with nothing published: no answer from another site's model.
    await edge.server.storage.putSite({ key: 'bare', name: 'bare', origins: ['https://bare.example'], created_at: 1 });
    expect((await fetch(`${edge.server.url}/v1/models/recommender/first-page?item=I1&site=bare`)).status).toBe(404);
  }, 60_000);

  it('decodes at most its budget a minute for requests: whoever cycles through sites gets a JSON 503, never a wrong answer', async () => {
    const db = tempSqlite();
    // A budget of a millisecond: the first model decoded for a request spends it.
    const server = await startServer(db.storage, {
      modelsDir: mkdtempSync(join(tmpdir(), 'aisle-first-none-')),
      firstPageBuildMs: 1,
    });
    try {
      const five = SITES.slice(0, 5).map((site) => ({ ...site, key: `budget${site.key}` }));
      for (const site of five) await publish(server, site);
      // Four of the five are decoded ahead of requests (the node keeps four).
      await server.app.firstPagesWarm();
      const ask = (site: string) => fetch(`${server.url}/v1/models/recommender/first-page?item=I2&k=3&site=${site}`);
      // Round the five twice, one at a time: the one not kept is decoded for its request, which
      // spends the budget and evicts another, whose next request is then over it.
      const answers: { site: (typeof five)[number]; status: number; body: unknown }[] = [];
      for (const site of [...five, ...five]) {
        const res = await ask(site.key);
        answers.push({ site, status: res.status, body: await res.json() });
      }
      const refused = answers.filter((a) => a.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const { body } of refused)
        expect(body).toMatchObject({
          error: 'busy',
          details: [{ path: 'site', message: expect.stringMatching(/decoding first-page models/) }],
        });
      // Every other answer whole, and from that site's own model.
      for (const { site, status, body } of answers.filter((a) => a.status !== 503)) {
        expect(status).toBe(200);
        expect(body).toMatchObject({ model_version: site.version });
      }
    } finally {
      await server.close();
      db.remove();
    }
  }, 60_000);

  it('decodes a site’s model as it is published, so its first shopper does not wait for it', async () => {
    const site = { key: 'fresh', items: 90, version: 3 };
    const shards = await publish(edge.server, site);
    await edge.server.app.firstPagesWarm();
    // The shards gone from the registry: only a model decoded before this request can answer it.
    const db = new Database(join(edge.dbDir, 'aisle.db'));
    try {
      const gone = db.prepare('DELETE FROM model_shards WHERE sha256 = ?');
      for (const sha of shards) gone.run(sha);
    } finally {
      db.close();
    }
    const res = await fetch(`${edge.server.url}/v1/models/recommender/first-page?item=I5&k=3&site=${site.key}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model_version: number; items: unknown[] };
    expect(body.model_version).toBe(site.version);
    expect(body.items).toHaveLength(3);
  }, 60_000);
});
