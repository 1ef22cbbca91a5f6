/**
 * A first visit's first page, as the edge answers it: what the device's own code shows on that
 * product's page with no other history (the same model, catalogue and rules, run in-process here
 * for comparison), for a whole model and for a head model's products outside the head; the same
 * answer for everyone, cacheable; and a JSON 4xx naming the fault for anything a careless or
 * hostile client sends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CatalogItem, parseCatalog } from '@aisle/shared-models/models/catalog';
import { recommendationServer } from '@aisle/shared-models/models/recommender';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/src/backend';
import { loadRecommender } from '../training/src/recommender-files';
import { startServer, type TestServer, tempSqlite } from './helpers/server';
import { syntheticModel } from './helpers/synthetic-model';

const ITEMS = 400;

/** What a device with no history shows on `item`'s page, by the device's own code. */
async function onDevice(dir: string, catalogue: CatalogItem[], item: string, k: number, perCategory?: number) {
  const model = await loadRecommender(dir);
  try {
    const category = catalogue.find((i) => i.item_id === item)?.item_category;
    const served = await recommendationServer(model, catalogue).recommend(
      [{ type: 'view_item', ts: Date.now(), items: [{ item_id: item, item_category: category }] }],
      { k, perCategory, exclude: [item], item, context: category },
    );
    return served.items.map((i) => i.item_id);
  } finally {
    model.dispose();
  }
}

describe('the first page of a first visit, answered by the edge', () => {
  const db = tempSqlite();
  const root = mkdtempSync(join(tmpdir(), 'aisle-first-'));
  const modelsDir = join(root, 'models');
  let server: TestServer;
  let catalogue: CatalogItem[];
  const ask = (query: string) => fetch(`${server.url}/v1/models/recommender/first-page?${query}`);
  beforeAll(async () => {
    await useBackend('wasm');
    await syntheticModel(join(modelsDir, 'recommender'), ITEMS, (i) => ({
      item_name: `Product ${i}`,
      url: `/p/I${i}`,
    }));
    catalogue = parseCatalog(JSON.parse(readFileSync(join(modelsDir, 'catalog.json'), 'utf8')));
    server = await startServer(db.storage, { modelsDir });
  }, 60_000);
  afterAll(async () => {
    await server.close();
    db.remove();
    rmSync(root, { recursive: true, force: true });
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
      expect(body.items.map((i) => i.item_id)).toEqual(
        await onDevice(join(modelsDir, 'recommender'), catalogue, item, k, perCategory),
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
  const db = tempSqlite();
  const root = mkdtempSync(join(tmpdir(), 'aisle-first-head-'));
  const modelsDir = join(root, 'models');
  let server: TestServer;
  beforeAll(async () => {
    await useBackend('wasm');
    await syntheticModel(join(modelsDir, 'recommender'), 300, () => ({}), 100);
    server = await startServer(db.storage, { modelsDir });
  }, 60_000);
  afterAll(async () => {
    await server.close();
    db.remove();
    rmSync(root, { recursive: true, force: true });
  });

  it('ranks the product’s candidates from the whole model, as a device asking the edge for them would', async () => {
    const res = await fetch(`${server.url}/v1/models/recommender/first-page?item=I250&k=6`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { item_id: string; reason: string }[]; cold: boolean };
    expect(body.cold).toBe(false);
    expect(body.items).toHaveLength(6);
    // Some of what it shows lies outside the head (indexes past 100): only the candidates name those.
    expect(body.items.some((i) => Number(i.item_id.slice(1)) > 100)).toBe(true);
    expect(body.items.some((i) => i.reason === 'often viewed with I250')).toBe(true);
  });
});
