/**
 * What a shopper is shown, from the serving code the device and the dashboard's preview share: the
 * page's product decides most picks and the rest say why they are there; nothing bought in this
 * session comes back, and a purchase from before only where the model's repeat boost is on, said
 * so; every card carries the picture the shop publishes and the score it ranked by.
 */
import type { CatalogItem } from '@aisle/shared-models/models/catalog';
import {
  type Arch,
  type CandidateSource,
  candidatesOf,
  candidateTable,
  contextShare,
  createRecommenderModel,
  cutHead,
  type HistoryEvent,
  headIndexes,
  type RecommenderManifest,
  type RecommendRules,
  recommendationServer,
  type SasRecConfig,
} from '@aisle/shared-models/models/recommender';
import { initWeights } from '@aisle/shared-models/models/recommender/sasrec-train';
import type { Tensor2D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/src/backend';

beforeAll(async () => {
  await useBackend('wasm');
});

// Thirty products in three categories: K0–K9 Kitchen, J0–J9 Jackets, S0–S9 Shoes.
const CATEGORIES = ['Kitchen', 'Jackets', 'Shoes'];
const ids = CATEGORIES.flatMap((c) => Array.from({ length: 10 }, (_, i) => `${c[0]}${i}`));
const catalogue: CatalogItem[] = ids.map((id, i) => ({
  item_id: id,
  item_name: `Product ${id}`,
  item_category: CATEGORIES[Math.floor(i / 10)],
  price: 10 + i,
  in_stock: true,
  // Shoes have no picture in the catalogue.
  ...(id.startsWith('S') ? {} : { image: `/img/${id}.jpg` }),
}));

function model(
  repeat: RecommenderManifest['repeat'] = null,
  { arch = 'sasrec', blend = 0.5 }: { arch?: Arch; blend?: number } = {},
) {
  const config: SasRecConfig = { arch, items: ids.length + 1, types: 3, maxLen: 8, dim: 8, blocks: 1, dropout: 0 };
  const manifest = {
    manifest_version: 1,
    name: 'recommender',
    version: 3,
    feature_schema_version: 1,
    created_at: '',
    shards: [],
    metrics: {},
    config,
    items: ['', ...ids],
    types: ['', 'view_item', 'purchase'],
    blend,
    knn: { neighbours: 3, decay: 0.7 },
    repeat,
  } satisfies RecommenderManifest;
  // Each item's neighbours: the next two of its category and, for the kettle K0, a jacket (J5).
  const width = 3;
  const items = new Int32Array(config.items * width);
  const similarity = new Float32Array(config.items * width);
  for (let j = 1; j < config.items; j++) {
    const base = Math.floor((j - 1) / 10) * 10;
    const next = [((j - 1 - base + 1) % 10) + base + 1, ((j - 1 - base + 2) % 10) + base + 1];
    const row = j === 1 ? [16, ...next] : next;
    row.forEach((n, k) => {
      items[j * width + k] = n;
      similarity[j * width + k] = 1 - k * 0.2;
    });
  }
  const popularity = Float32Array.from({ length: config.items }, (_, j) => (j ? 100 - j : 0));
  return createRecommenderModel(initWeights(config, 5), manifest, { items, similarity, width }, popularity);
}

const view = (id: string, ts: number, session = 's2', extra = {}): HistoryEvent => ({
  type: 'view_item',
  ts,
  session_id: session,
  items: [{ item_id: id, ...extra }],
});
const buy = (id: string, ts: number, session: string): HistoryEvent => ({
  type: 'purchase',
  ts,
  session_id: session,
  items: [{ item_id: id }],
});

describe('what the shopper is shown', () => {
  it('on a product page, most picks relate to the product and the rest say why they are there', async () => {
    const server = recommendationServer(model(), catalogue);
    // A shopper of jackets, now on the kettle's page.
    const history = [view('J1', 1), view('J2', 2), view('J3', 3), view('K0', 4)];
    for (const k of [4, 6, 8]) {
      const { items, cold } = await server.recommend(history, { k, item: 'K0', exclude: ['K0'] });
      expect(cold).toBe(false);
      expect(items).toHaveLength(k);
      expect(items.map((i) => i.item_id)).not.toContain('K0');
      const related = items.filter((i) => i.item_category === 'Kitchen' || i.item_id === 'J5');
      expect(related.length).toBeGreaterThanOrEqual(contextShare(k));
      expect(contextShare(k)).toBeGreaterThan(k / 2);
      // The page's picks come first and say so; the jacket seen with the kettle says it was.
      for (const i of items.slice(0, contextShare(k))) {
        expect(i.context).toBe(true);
        expect(i.reason).toMatch(/often viewed with Product K0|more Kitchen like Product K0/);
      }
      expect(items.find((i) => i.item_id === 'J5')?.reason ?? 'often viewed with Product K0').toBe(
        'often viewed with Product K0',
      );
      // The rest are the shopper's own, with their own reasons.
      for (const i of items.slice(contextShare(k))) {
        expect(i.context).toBeUndefined();
        expect(i.reason).toMatch(/because you viewed|more from|popular|visits like yours went next|tastes like yours/);
      }
      // Each ranked pick carries its score, best first within its part.
      const page = items.slice(0, contextShare(k)).map((i) => i.score as number);
      expect(page.every((s) => Number.isFinite(s))).toBe(true);
      expect([...page].sort((a, b) => b - a)).toEqual(page);
    }
  });

  it.each([
    ['SASRec', 'sasrec', 0.5],
    ['SR-GNN', 'srgnn', 0.5],
    ['LightGCN', 'lightgcn', 0.5],
    ['item-kNN alone (the network weighed 0)', 'sasrec', 0],
  ] as const)(
    'tells a first-time shopper with one item which signal picked each item, in words that match it: %s',
    async (_, arch, blend) => {
      const server = recommendationServer(model(null, { arch, blend }), catalogue);
      // Nothing known: every pick is popularity's, and says so.
      const none = await server.recommend([], { k: 6 });
      expect(none.cold).toBe(true);
      expect(none.items.map((i) => [i.signal, i.reason])).toEqual(
        none.items.map(() => ['popularity', 'popular in the shop']),
      );
      // One product viewed, no page context: its co-view neighbours, then what the network says
      // follows such a visit — or, where it weighs nothing, what is popular — each told apart.
      const { items, cold } = await server.recommend([view('J1', 1, 'first')], { k: 14 });
      expect(cold).toBe(false);
      expect(items).toHaveLength(14);
      const said: Record<string, RegExp> = {
        neighbours: /^(because you viewed|often viewed with) Product J1$/,
        content: /^more from Jackets$/,
        // The graph network reads no order: it says what shoppers like this one chose.
        ...(blend === 0
          ? { popularity: /^popular in the shop$/ }
          : arch === 'lightgcn'
            ? { graph: /^shoppers who viewed Product J1 chose items like this$/ }
            : { sequence: /^shoppers who viewed Product J1 went on to this$/ }),
      };
      for (const i of items) {
        expect(Object.keys(said)).toContain(i.signal);
        expect(i.reason).toMatch(said[i.signal as string]);
      }
      // J1's neighbours in the table (J2, J3) are the neighbours' picks; other jackets the category's;
      // the rest, from other categories, the network's (or popularity's where the network weighs nothing).
      const bySignal = (signal: string) => items.filter((i) => i.signal === signal).map((i) => i.item_id);
      expect(bySignal('neighbours').sort()).toEqual(['J2', 'J3']);
      expect(bySignal('content').every((id) => id.startsWith('J'))).toBe(true);
      const rest = bySignal(blend === 0 ? 'popularity' : arch === 'lightgcn' ? 'graph' : 'sequence');
      expect(rest.length).toBeGreaterThanOrEqual(14 - 9);
      expect(rest.every((id) => !id.startsWith('J'))).toBe(true);
    },
  );

  it('on a category page, a new shopper sees that category’s popular items first', async () => {
    const { items, cold } = await recommendationServer(model(), catalogue).recommend([], {
      k: 4,
      context: 'Shoes',
    });
    expect(cold).toBe(true);
    expect(items.slice(0, 3).map((i) => i.item_id)).toEqual(['S0', 'S1', 'S2']);
    expect(items.slice(0, 3).every((i) => i.reason === 'popular in Shoes')).toBe(true);
  });

  it('never shows what was bought in this session; a purchase from before only with a repeat boost, said so', async () => {
    const history = [buy('K1', 1, 's1'), view('K2', 10, 's2'), buy('K3', 11, 's2'), view('K4', 12, 's2')];
    const plain = await recommendationServer(model(), catalogue).recommend(history, { k: 29 });
    expect(plain.items.map((i) => i.item_id)).not.toContain('K1');
    expect(plain.items.map((i) => i.item_id)).not.toContain('K3');

    const repeats = await recommendationServer(model({ weight: 5, decay: 0.9 }), catalogue).recommend(history, {
      k: 29,
    });
    const shown = repeats.items.map((i) => i.item_id);
    expect(shown).not.toContain('K3'); // bought minutes ago
    expect(repeats.items.find((i) => i.item_id === 'K1')?.reason).toBe('you bought this before: buy it again');
    expect(repeats.items.find((i) => i.item_id === 'K2')?.reason).toBe('you looked at this before');
    // On a product page too, a purchase coming back says so rather than speak for the page.
    const onPage = await recommendationServer(model({ weight: 5, decay: 0.9 }), catalogue).recommend(history, {
      k: 12,
      item: 'K4',
      exclude: ['K4'],
    });
    const k1 = onPage.items.find((i) => i.item_id === 'K1');
    expect(k1).toMatchObject({ context: true, reason: 'you bought this before: buy it again' });
    // The merchant may still say no repeats at all.
    const strict = await recommendationServer(model({ weight: 5, decay: 0.9 }), catalogue).recommend(history, {
      k: 29,
      excludePurchased: true,
    });
    expect(strict.items.map((i) => i.item_id)).not.toContain('K1');
  });

  it('gives each card the catalogue’s picture, else the one the shop showed this shopper', async () => {
    const history = [
      view('S1', 1, 's1', { item_image: 'https://cdn.example/s1.jpg' }),
      view('S3', 2, 's1', { item_image: 'https://cdn.example/s3.jpg' }),
      view('K1', 3, 's1'),
    ];
    const server = recommendationServer(model({ weight: 5, decay: 0.9 }), catalogue);
    const { items } = await server.recommend(history, { k: 30 });
    const image = (id: string) => items.find((i) => i.item_id === id)?.image;
    expect(image('K2')).toBe('/img/K2.jpg');
    expect(image('S1')).toBe('https://cdn.example/s1.jpg');
    expect(image('S3')).toBe('https://cdn.example/s3.jpg');
    expect(image('S5')).toBeUndefined();
  });

  it('without a model, fills from the catalogue in its order', async () => {
    const { items, cold } = await recommendationServer(undefined, catalogue).recommend([], { k: 3 });
    expect(cold).toBe(true);
    expect(items.map((i) => [i.item_id, i.reason, i.score])).toEqual([
      ['K0', 'popular in the shop', undefined],
      ['K1', 'popular in the shop', undefined],
      ['K2', 'popular in the shop', undefined],
    ]);
  });
});

describe('a head model with the edge’s candidates', () => {
  // The whole model's parts, its head (the ten most popular: the kitchen) and the edge's table.
  async function cut() {
    const whole = model();
    const config = whole.manifest.config;
    const weights = initWeights(config, 5);
    const width = 3;
    const items = new Int32Array(config.items * width);
    const similarity = new Float32Array(config.items * width);
    for (let j = 1; j < config.items; j++) {
      const base = Math.floor((j - 1) / 10) * 10;
      [((j - base) % 10) + base + 1, ((j - base + 1) % 10) + base + 1].forEach((n, k) => {
        items[j * width + k] = n;
        similarity[j * width + k] = 1 - k * 0.2;
      });
    }
    const popularity = Float32Array.from({ length: config.items }, (_, j) => (j ? 100 - j : 0));
    const n = config.items;
    const content = { category: new Int32Array(n), band: new Int32Array(n), coldness: new Float32Array(n) };
    const neighbours = { items, similarity, width };
    const keep = headIndexes(popularity, 11);
    const part = cutHead(keep, { items: whole.manifest.items, weights, neighbours, popularity, content });
    const table = await candidateTable(whole.manifest.items, weights.item_embedding as Tensor2D, neighbours, width);
    const manifest = {
      ...whole.manifest,
      config: { ...config, items: keep.length },
      items: part.items,
      head: { of: n, shard: 'candidates.bin', root: '', width },
    } satisfies RecommenderManifest;
    const head = createRecommenderModel(part.weights, manifest, part.neighbours, part.popularity, part.content, true);
    const held = new Set(part.items.slice(1));
    const asked: { item: string; fetch: boolean; recent: readonly string[] }[] = [];
    const source: CandidateSource = async (item, fetch, recent) => {
      asked.push({ item, fetch, recent });
      const i = whole.manifest.items.indexOf(item);
      return i > 0 ? candidatesOf(table, i, held) : undefined;
    };
    whole.dispose();
    return { head, held, source, asked };
  }

  it('on a page outside the head, ranks the edge’s candidates with the history and says why', async () => {
    const { head, held, source, asked } = await cut();
    expect([...held]).toEqual(ids.slice(0, 10));
    const history = [view('K1', 1), view('S3', 2)];
    const alone = await recommendationServer(head, catalogue).recommend(history, { k: 4, item: 'S3' });
    expect(alone.items.every((i) => held.has(i.item_id))).toBe(true);
    const { items } = await recommendationServer(head, catalogue, source).recommend(history, { k: 4, item: 'S3' });
    const shoes = items.filter((i) => i.item_id.startsWith('S'));
    expect(shoes.map((i) => i.item_id).sort()).toEqual(['S4', 'S5']);
    expect(shoes.every((i) => i.reason === 'often viewed with Product S3' && i.context)).toBe(true);
    expect(items.map((i) => i.item_id)).not.toContain('S3');
    // Asked for the product on screen; the history's products only from what is already held.
    expect(asked.filter((a) => a.fetch).map((a) => a.item)).toEqual(['S3']);
    expect(asked.find((a) => a.item === 'K1')).toMatchObject({ fetch: false });
    expect(asked[0].recent).toEqual(['S3', 'K1']);
  });

  it('holds the edge’s candidates to the merchant’s rules: stock, categories, exclusions', async () => {
    const { head, source } = await cut();
    const history = [view('J2', 1)];
    const soldOut = catalogue.map((i) => (i.item_id === 'J3' ? { ...i, in_stock: false } : i));
    const shown = async (rules: Omit<RecommendRules, 'k' | 'item'>, from = catalogue) =>
      (await recommendationServer(head, from, source).recommend(history, { k: 6, item: 'J2', ...rules })).items.map(
        (i) => i.item_id,
      );
    expect(await shown({})).toEqual(expect.arrayContaining(['J3', 'J4']));
    expect(await shown({}, soldOut)).not.toContain('J3');
    expect(await shown({ exclude: ['J4'] })).not.toContain('J4');
    expect((await shown({ categories: ['Kitchen'] })).every((id) => id.startsWith('K'))).toBe(true);
  });
});
