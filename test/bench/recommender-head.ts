/**
 * @module test/bench/recommender-head — what a device loses when it holds only the head of the
 * catalogue, and what the edge's candidates win back: the whole model, the head alone and the head
 * with the candidates (for the products on screen lately, the device's kept answers), each ranked
 * top 10 exactly as the device ranks (`rankAsync`), on the same trained model, over three seeds.
 * Real logs first: MovieLens-100k, YooChoose's anonymous sessions and the Online Retail year, each
 * with a head of a fifth of its items (the share 20k is of 100k); then a synthetic 100k-item shop
 * (topics of 50 items, Zipf popularity, sessions that mostly stay in one topic) with a head of 20k,
 * the size `aisle train recommender` cuts at. Bytes: the device's files whole and cut.
 */
import { encodeRecommender } from '@aisle/shared-models/models/recommender';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import { useBackend } from '../../training/src/backend';
import { type LeaveLastOut, leaveLastOrderOut, leaveLastOut } from '../../training/src/data/sequences';
import { cutRecommender, DEFAULT_HEAD, judgeHead } from '../../training/src/pipelines/recommender-head';
import { trainRecommender } from '../../training/src/pipelines/recommender-sasrec';
import {
  movieLens100k,
  movieLensMissing,
  onlineRetailMissing,
  onlineRetailPurchases,
  yooChooseClicks,
  yooChooseMissing,
} from './datasets';
import { plusMinus, type Row, report, SEEDS, shopsIn, shopWanted, spread } from './report';

/** Three seeds; `AISLE_BENCH_HEAD_SEEDS=1` for a first look at the slowest shop. */
const BENCH_SEEDS = SEEDS.slice(0, Number(process.env.AISLE_BENCH_HEAD_SEEDS ?? 3));
/** Training per seed and shop, in s (the trainer's own budget is 480 s): each comparison is on one model, whatever its quality. */
const BUDGET = Number(process.env.AISLE_BENCH_HEAD_BUDGET ?? 0);
/**
 * Validation and test cases per seed, where a log has more: full ranking over 13k–100k items for
 * every shopper, for every blend and baseline the trainer judges, would take hours on two cores.
 */
const CASES = 1000;
const sample = (split: LeaveLastOut): LeaveLastOut => ({
  ...split,
  valid: split.valid.slice(0, CASES),
  test: split.test.slice(0, CASES),
});

interface Shop {
  name: string;
  split: () => LeaveLastOut;
  /** The head's share of the items, or its size. */
  head: (items: number) => number;
  missing?: () => string | undefined;
  epochs: number;
  /** Seconds of training per seed. */
  budget: number;
}

/** A shop of `items` items in topics of 50, Zipf popularity, `users` sessions of 5–30 views that mostly stay in a topic. */
function syntheticShop(items: number, users: number, seed: number): Interaction[] {
  const rnd = random(seed);
  const zipf = (n: number) => Math.min(n - 1, Math.floor(n ** rnd() - 1));
  const TOPIC = 50;
  const topics = Math.ceil(items / TOPIC);
  const rows: Interaction[] = [];
  let ts = Date.UTC(2026, 0, 1);
  for (let u = 0; u < users; u++) {
    let topic = zipf(topics);
    const length = 5 + Math.floor(rnd() * 26);
    for (let k = 0; k < length; k++) {
      if (rnd() < 0.15) topic = zipf(topics);
      const item = rnd() < 0.85 ? topic * TOPIC + zipf(TOPIC) : zipf(items);
      ts += 1000 + Math.floor(rnd() * 60_000);
      rows.push({
        user_id: `u${u}`,
        session_id: `u${u}`,
        item_id: `I${Math.min(items - 1, item)}`,
        type: 'view_item',
        ts,
      });
    }
  }
  return rows;
}

const SHOPS: Shop[] = [
  {
    name: 'MovieLens-100k',
    split: () => leaveLastOut(movieLens100k()),
    head: (n) => Math.round(n / 5),
    missing: movieLensMissing,
    epochs: 20,
    budget: 150,
  },
  {
    name: 'YooChoose sessions',
    split: () => sample(leaveLastOut(yooChooseClicks())),
    head: (n) => Math.round(n / 5),
    missing: yooChooseMissing,
    epochs: 20,
    budget: 120,
  },
  {
    name: 'Online Retail purchases',
    split: () => sample(leaveLastOrderOut(onlineRetailPurchases())),
    head: (n) => Math.round(n / 5),
    missing: onlineRetailMissing,
    epochs: 3,
    budget: 150,
  },
  {
    name: 'synthetic 100k-item shop',
    split: () => sample(leaveLastOut(syntheticShop(100_000, 40_000, 7))),
    head: () => DEFAULT_HEAD,
    epochs: 3,
    budget: 150,
  },
];

const only = shopsIn(process.env.AISLE_BENCH_HEAD_SHOPS);

export async function benchRecommenderHead() {
  await useBackend('wasm');
  const rows: Row[] = [];
  const results: Record<string, unknown>[] = [];
  for (const shop of SHOPS) {
    if (!shopWanted(shop.name, only)) continue;
    const absent = shop.missing?.();
    if (absent) {
      console.warn(`\nrecommender-head on ${shop.name}: skipped, ${absent}`);
      continue;
    }
    const split = shop.split();
    const items = split.vocabulary.size - 1;
    const head = shop.head(items);
    const epochs: number[] = [];
    const by = { full: [] as number[], head: [] as number[], candidates: [] as number[] };
    const hits = { full: [] as number[], head: [] as number[], candidates: [] as number[] };
    let coverage = 0;
    let bytes = { whole: 0, head: 0, table: 0 };
    for (const seed of BENCH_SEEDS) {
      const trained = await trainRecommender(split, {
        epochs: shop.epochs,
        seed,
        timeBudget: BUDGET || shop.budget,
        quantize: false,
        onEpoch: (_d, _t, line) => console.error(`  ${shop.name}, seed ${seed}: ${line}`),
      });
      const cut = await cutRecommender(trained, split.train, head + 1);
      const q = await judgeHead(trained.model, cut.trained.model, cut.table, split.test);
      console.error(`  ${shop.name}, seed ${seed}, blend ${trained.manifest.blend}: ${JSON.stringify(q)}`);
      epochs.push(trained.epochSeconds.length);
      for (const k of ['full', 'head', 'candidates'] as const) {
        by[k].push(q[k].ndcg);
        hits[k].push(q[k].hitRate);
      }
      coverage = cut.coverage;
      const size = async (t: typeof trained) =>
        [...(await encodeRecommender(t)).values()].reduce((n, b) => n + b.byteLength, 0);
      bytes = { whole: await size(trained), head: await size(cut.trained), table: cut.candidates.byteLength };
      trained.model.dispose();
      cut.trained.model.dispose();
      results.push({ shop: shop.name, seed, blend: trained.manifest.blend, ...q });
    }
    const full = spread(by.full).mean;
    const recovered = (spread(by.candidates).mean - spread(by.head).mean) / (full - spread(by.head).mean || 1);
    const title = `${shop.name} (${items.toLocaleString('en')} items, head ${head.toLocaleString('en')}: ${(100 * coverage).toFixed(1)} % of interactions; ${split.test.length.toLocaleString('en')} test cases${split.test.length === CASES ? ' (the first)' : ''}; ${epochs.join('/')} epochs in ${BUDGET || shop.budget} s)`;
    rows.push(
      { metric: `${title}: whole model NDCG@10 (${plusMinus(by.full)})`, value: full, unit: '' },
      {
        metric: `${title}: head alone NDCG@10 (${plusMinus(by.head)})`,
        value: spread(by.head).mean,
        unit: '',
        reference: `${(100 * (1 - spread(by.head).mean / full)).toFixed(1)} % below the whole`,
      },
      {
        metric: `${title}: head + edge candidates NDCG@10 (${plusMinus(by.candidates)}); HR@10 ${plusMinus(hits.candidates)}`,
        value: spread(by.candidates).mean,
        unit: '',
        reference: `${(100 * (1 - spread(by.candidates).mean / full)).toFixed(1)} % below the whole; ${(100 * recovered).toFixed(0)} % of the head's loss won back`,
        // A gain smaller than the spread over seeds is no gain.
        pass: spread(by.candidates).mean - spread(by.candidates).sd > spread(by.head).mean,
      },
      {
        metric: `${title}: device files float32, whole / head (the edge's table)`,
        value: Math.round(bytes.head / 1e3),
        unit: `KB of ${Math.round(bytes.whole / 1e3)} KB (${Math.round(bytes.table / 1e3)} KB)`,
      },
    );
    // Written after each shop: a long run stopped part-way keeps what it measured.
    write(rows, results);
  }
}

function write(rows: Row[], results: Record<string, unknown>[]) {
  report(
    // A subset of the shops (AISLE_BENCH_HEAD_SHOPS) beside the whole run's numbers, not over them.
    only ? `recommender-head-${only.join('-')}` : 'recommender-head',
    `The head on the device, the rest from the edge: NDCG@10 as the device ranks (top 10, full catalogue), the whole model against its head alone and the head with the edge's candidates for the products on screen lately; seeds ${BENCH_SEEDS.join(', ')}, float32 weights`,
    rows,
    { results },
  );
}
