/**
 * @module test/bench/delta — what a device downloads after a typical daily retrain, on real logs.
 * For each log, "yesterday's" model is trained on everything before a day in the log's last weeks
 * (the day of median volume among the last 28 with events), written as `aisle train recommender`
 * writes it; "today's" data adds that day. Today's model is made two ways from the same seed, both
 * written into yesterday's directory as the CLI does: trained from scratch (what the trainer did
 * before), and warm-started from yesterday's (`--warm-start`: only the rows of items with events that
 * day move, yesterday's quantisation levels kept where they hold). Measured: the bytes a device that
 * holds yesterday's model downloads (Brotli, as the edge sends them: the new shards only) and the
 * whole model's, and each model's test NDCG@10 on today's leave-last-out split — the warm one must
 * not lose more than the spread over seeds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { isItemAction } from '@aisle/shared-models/schema/interaction';
import { useBackend } from '../../training/src/backend';
import type { Interaction } from '../../training/src/data/interchange';
import { type LeaveLastOut, leaveLastOrderOut, leaveLastOut } from '../../training/src/data/sequences';
import { readModelDir } from '../../training/src/model-files';
import { trainRecommender } from '../../training/src/pipelines/recommender-sasrec';
import { readWarmStart } from '../../training/src/pipelines/recommender-warm';
import { saveRecommender } from '../../training/src/recommender-files';
import {
  movieLens100k,
  movieLensMissing,
  onlineRetailMissing,
  onlineRetailPurchases,
  yooChooseClicks,
  yooChooseMissing,
} from './datasets';
import { plusMinus, type Row, report, SEEDS, shopsIn, shopWanted, spread } from './report';

const BENCH_SEEDS = SEEDS.slice(0, Number(process.env.AISLE_BENCH_DELTA_SEEDS ?? 3));
const DAY = 86_400_000;
/** `AISLE_BENCH_DELTA_EPOCHS`: epochs from scratch for every log (else each log's own). */
const EPOCHS = Number(process.env.AISLE_BENCH_DELTA_EPOCHS ?? 0);
/** What `aisle train recommender --warm-start` runs by default. */
const WARM_EPOCHS = 3;
/** Validation and test cases, where a log has more (full ranking over every item for each). */
const CASES = 1000;

interface Shop {
  name: string;
  events: () => Interaction[];
  split: (events: Interaction[], keep?: { items: readonly string[]; types: readonly string[] }) => LeaveLastOut;
  missing: () => string | undefined;
  /** Epochs from scratch (fixed, not a time budget: the numbers must not depend on the machine's load). */
  epochs: number;
}

const sample = (split: LeaveLastOut): LeaveLastOut => ({
  ...split,
  valid: split.valid.slice(0, CASES),
  test: split.test.slice(0, CASES),
});

const SHOPS: Shop[] = [
  {
    name: 'MovieLens-100k',
    events: () => movieLens100k(),
    split: (events, keep) => leaveLastOut(events, keep),
    missing: movieLensMissing,
    epochs: 5,
  },
  {
    name: 'YooChoose sessions',
    events: () => yooChooseClicks(),
    split: (events, keep) => sample(leaveLastOut(events, keep)),
    missing: yooChooseMissing,
    epochs: 5,
  },
  {
    name: 'Online Retail purchases',
    events: () => onlineRetailPurchases(),
    split: (events, keep) => sample(leaveLastOrderOut(events, keep)),
    missing: onlineRetailMissing,
    epochs: 3,
  },
];

/** The start of the day of median volume among the log's last 28 days with events (UTC days). */
function typicalDay(events: readonly Interaction[]): number {
  const perDay = new Map<number, number>();
  for (const e of events) {
    const day = Math.floor(e.ts / DAY) * DAY;
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  const last = [...perDay].sort((a, b) => a[0] - b[0]).slice(-28);
  const byVolume = [...last].sort((a, b) => a[1] - b[1]);
  return byVolume[Math.floor(byVolume.length / 2)][0];
}

const brotli = (bytes: Uint8Array) => brotliCompressSync(bytes).byteLength;

/** The device's files in `dir` by hash (the edge-only ones left out), and their Brotli bytes. */
function shardsOf(dir: string): Map<string, number> {
  const { manifest, files } = readModelDir(dir);
  const out = new Map<string, number>();
  for (const s of (manifest as ModelManifest).shards) out.set(s.sha256, brotli(files.get(s.path) as Uint8Array));
  return out;
}

const only = shopsIn(process.env.AISLE_BENCH_DELTA_SHOPS);

export async function benchDelta() {
  await useBackend('wasm');
  const rows: Row[] = [];
  const results: Record<string, unknown>[] = [];
  for (const shop of SHOPS) {
    if (!shopWanted(shop.name, only)) continue;
    const absent = shop.missing();
    if (absent) {
      console.warn(`\ndelta on ${shop.name}: skipped, ${absent}`);
      continue;
    }
    const all = shop.events();
    const day = typicalDay(all);
    const yesterday = all.filter((e) => e.ts < day);
    const today = all.filter((e) => e.ts < day + DAY);
    const moved = new Set(today.filter((e) => e.ts >= day && isItemAction(e)).map((e) => e.item_id));
    const m = { cold: [] as number[], warm: [] as number[], before: [] as number[] };
    const bytes = { whole: [] as number[], cold: [] as number[], warm: [] as number[] };
    let items = 0;
    for (const seed of BENCH_SEEDS) {
      const log = (line: string) => console.error(`  ${shop.name}, seed ${seed}: ${line}`);
      const train = (split: LeaveLastOut, warm?: Awaited<ReturnType<typeof readWarmStart>>, until = day + DAY) =>
        trainRecommender(split, {
          epochs: warm ? WARM_EPOCHS : EPOCHS || shop.epochs,
          seed,
          timeBudget: Number.POSITIVE_INFINITY,
          warmStart: warm,
          dataUntil: until - 1,
          onEpoch: (_d, _t, line) => log(line),
        });
      const dirs = [mkdtempSync(join(tmpdir(), 'aisle-delta-')), mkdtempSync(join(tmpdir(), 'aisle-delta-'))];
      try {
        // Yesterday's model, in two directories: one for each way of making today's.
        const before = await train(shop.split(yesterday), undefined, day);
        m.before.push(before.results[0].test.ndcg);
        for (const dir of dirs) await saveRecommender(dir, before);
        before.model.dispose();
        const held = shardsOf(dirs[0]);
        const fetched = (dir: string) =>
          [...shardsOf(dir)].reduce((n, [sha, size]) => n + (held.has(sha) ? 0 : size), 0);

        const todaySplit = shop.split(today);
        items = todaySplit.vocabulary.size - 1;
        const cold = await train(todaySplit);
        await saveRecommender(dirs[0], cold);
        cold.model.dispose();
        m.cold.push(cold.results[0].test.ndcg);
        bytes.cold.push(fetched(dirs[0]));
        bytes.whole.push([...shardsOf(dirs[0]).values()].reduce((a, b) => a + b, 0));

        const { manifest, files } = readModelDir(dirs[1]);
        const start = { ...(await readWarmStart(manifest, files)), moved };
        const warm = await train(shop.split(today, start.manifest), start);
        await saveRecommender(dirs[1], warm);
        warm.model.dispose();
        m.warm.push(warm.results[0].test.ndcg);
        bytes.warm.push(fetched(dirs[1]));
        const shipped = JSON.parse(readFileSync(join(dirs[1], 'manifest.json'), 'utf8')) as ModelManifest;
        const result = {
          shop: shop.name,
          seed,
          ndcg: { yesterday: m.before.at(-1), cold: m.cold.at(-1), warm: m.warm.at(-1) },
          // SASRec's weight against item-kNN each chose on validation (0: item-kNN and the content signal alone).
          blend: { cold: cold.manifest.blend, warm: warm.manifest.blend },
          neighbour_width: { cold: cold.neighbours.width, warm: warm.neighbours.width },
          bytes: { whole: bytes.whole.at(-1), cold: bytes.cold.at(-1), warm: bytes.warm.at(-1) },
          warm_shards: shipped.shards.map((s) => s.path),
        };
        log(JSON.stringify(result));
        results.push(result);
      } finally {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    }
    const kb = (xs: number[]) => Math.round(spread(xs).mean / 1024);
    const title = `${shop.name} (${items.toLocaleString('en')} items; the day ${new Date(day).toISOString().slice(0, 10)}: ${(today.length - yesterday.length).toLocaleString('en')} events on ${moved.size.toLocaleString('en')} items; ${EPOCHS || shop.epochs} epochs from scratch, ${WARM_EPOCHS} warm; ${BENCH_SEEDS.length} seeds)`;
    rows.push(
      {
        metric: `${title}: a device holding yesterday's model downloads, retrained from scratch`,
        value: kb(bytes.cold),
        unit: `KB Brotli (whole model ${kb(bytes.whole)} KB)`,
      },
      {
        metric: `${title}: … warm-started (rows of items with events that day; patch on yesterday's weights)`,
        value: kb(bytes.warm),
        unit: 'KB Brotli',
        reference: `${(100 * (spread(bytes.warm).mean / spread(bytes.cold).mean)).toFixed(1)} % of the retrain from scratch`,
      },
      {
        metric: `${title}: test NDCG@10 today, from scratch (${plusMinus(m.cold)}) / warm-started (${plusMinus(m.warm)}); yesterday's model ${plusMinus(m.before)}`,
        value: spread(m.warm).mean,
        unit: '',
        reference: `${(100 * (spread(m.warm).mean / spread(m.cold).mean - 1)).toFixed(1)} % against from scratch`,
        // No loss beyond the noise: the warm model within the spread over seeds of the cold one.
        pass: spread(m.warm).mean >= spread(m.cold).mean - Math.max(spread(m.cold).sd, spread(m.warm).sd),
      },
    );
    report(
      only ? `delta-${only.join('-')}` : 'delta',
      'Daily retrain: bytes a device downloads and quality, from scratch and warm-started (npm run bench -- delta)',
      rows,
      { results },
    );
  }
}
