/**
 * @module test/bench/recommender-sessions — the recommender judged the way session-based
 * recommendation is (Ludewig, Latifi & Jannach, 2021): each log cut into sessions (its session ids,
 * else 30 idle minutes), the last tenth of the sessions by start held out whole, the tenth before
 * them the validation, and every next item of a held-out session predicted from that session's
 * earlier items alone — the anonymous shopper's one visit. Against popularity, Markov, item-kNN,
 * SKNN and V-SKNN (their settings chosen on the validation sessions), judged as the recommender is
 * (seen items excluded, or each baseline the better of both ways where the recommender lets them
 * come back). NDCG@10, HR@10 and MRR@20 on the test sessions; the recommender (`aisle train
 * recommender` on the training sessions, each a sequence of its own) over seeds: with each network
 * (`recommender, sasrec`, `recommender, srgnn`, `recommender, lightgcn`, each blended as it ships) and as `--arch auto` ships it
 * (`recommender`: the one with the better validation NDCG@10).
 *
 * Logs: MovieLens-100k (a user's ratings with no 30-minute pause), the Online Retail purchases (a
 * customer's invoices of one sitting, each line the next item), YooChoose clicks (its sessions).
 * `AISLE_BENCH_SESSION_LOGS=movielens,retail` runs a subset; `AISLE_BENCH_SESSION_SEEDS=N` the seeds
 * per log (3 by default; YooChoose 1, its epochs being the slowest), `AISLE_BENCH_SESSION_SEED=1` one
 * seed alone (so that two processes can share the seeds of a slow log); `AISLE_BENCH_ARCHS=lightgcn` the
 * networks trained (a subset: no `recommender` row, auto's choice needing them all).
 */
import { ARCHS, type Arch } from '@aisle/shared-models/models/recommender';
import { useBackend } from '../../training/src/backend';
import type { Interaction } from '../../training/src/data/interchange';
import { type LeaveLastOut, sessionSplit } from '../../training/src/data/sequences';
import type { RankingMetrics } from '../../training/src/eval/ranking';
import { outdoes } from '../../training/src/pipelines/recommender-arch';
import {
  type BaselineResult,
  evaluateBaselines,
  fairBaselines,
} from '../../training/src/pipelines/recommender-baselines';
import { trainRecommender } from '../../training/src/pipelines/recommender-sasrec';
import {
  movieLens100k,
  movieLensMissing,
  onlineRetailMissing,
  onlineRetailPurchases,
  yooChooseClicks,
  yooChooseMissing,
} from './datasets';
import { pick, plusMinus, type Row, report, SEEDS, shopsIn, shopWanted, spread } from './report';

const LOGS: {
  name: string;
  missing: () => string | undefined;
  load: () => Interaction[];
  /** Epochs of each network. */
  epochs: Record<Arch, number>;
  seeds: number;
}[] = [
  {
    name: 'MovieLens-100k',
    missing: movieLensMissing,
    load: () => movieLens100k(),
    epochs: { sasrec: 10, srgnn: 8, lightgcn: 12 },
    seeds: 3,
  },
  {
    name: 'Online Retail',
    missing: onlineRetailMissing,
    load: onlineRetailPurchases,
    epochs: { sasrec: 3, srgnn: 2, lightgcn: 6 },
    seeds: 3,
  },
  {
    name: 'YooChoose',
    missing: yooChooseMissing,
    load: yooChooseClicks,
    // SR-GNN's epochs are 36–38 s here (its graph per target is small: YooChoose's sessions are short).
    epochs: { sasrec: 2, srgnn: 8, lightgcn: 6 },
    seeds: 1,
  },
];
const VALIDATION_CASES = 5000;
const SESSION_BASELINES = ['markov', 'item-knn', 'sknn', 'v-sknn'];

export async function benchRecommenderSessions() {
  const backend = await useBackend('wasm');
  const only = shopsIn(process.env.AISLE_BENCH_SESSION_LOGS);
  const seedsWanted = Number(process.env.AISLE_BENCH_SESSION_SEEDS) || undefined;
  const oneSeed = process.env.AISLE_BENCH_SESSION_SEED ? Number(process.env.AISLE_BENCH_SESSION_SEED) : undefined;
  if (oneSeed !== undefined && !Number.isInteger(oneSeed))
    throw new RangeError(`AISLE_BENCH_SESSION_SEED=${process.env.AISLE_BENCH_SESSION_SEED}: expected a whole number`);
  const archs = pick(ARCHS, process.env.AISLE_BENCH_ARCHS);
  const rows: Row[] = [];
  const runs: Record<string, unknown>[] = [];
  for (const log of LOGS.filter((l) => shopWanted(l.name.replace(' ', '-'), only))) {
    const absent = log.missing();
    if (absent) {
      console.warn(`\nrecommender on ${log.name}'s sessions: skipped, ${absent}`);
      continue;
    }
    const split = sessionSplit(log.load());
    const started = performance.now();
    // The baselines are deterministic: judged once each way, then matched to each seed's model.
    const excluded = evaluateBaselines(split, 10, true, { sessionKnn: true });
    const fair = new Map<boolean, BaselineResult[]>();
    const baselinesFor = (excludeSeen: boolean) => {
      const found = fair.get(excludeSeen) ?? fairBaselines(split, 10, excludeSeen, excluded, { sessionKnn: true });
      fair.set(excludeSeen, found);
      return found;
    };
    const baselineSeconds = (performance.now() - started) / 1000;
    const byModel = new Map<string, { test: RankingMetrics[]; settings: Set<string> }>();
    const add = (model: string, test: RankingMetrics, settings: string) => {
      const m = byModel.get(model) ?? { test: [], settings: new Set<string>() };
      byModel.set(model, m);
      m.test.push(test);
      if (settings) m.settings.add(settings);
    };
    const seeds = oneSeed !== undefined ? [oneSeed] : SEEDS.slice(0, seedsWanted ?? log.seeds);
    // The trainer chooses epochs, blends and (auto) the network on at most this many validation
    // cases, evenly spread: the baselines' grids read as many (`evaluateBaselines`).
    const step = Math.max(1, split.valid.length / VALIDATION_CASES);
    const trainOn = {
      ...split,
      valid: Array.from(
        { length: Math.min(split.valid.length, VALIDATION_CASES) },
        (_, k) => split.valid[Math.floor(k * step)],
      ),
    } as LeaveLastOut;
    for (const seed of seeds) {
      const shipped: { arch: string; valid: number; test: RankingMetrics; settings: string; repeat: boolean }[] = [];
      for (const arch of archs) {
        const trained = await trainRecommender(trainOn, {
          epochs: log.epochs[arch],
          seed,
          config: { arch },
          // Every epoch asked for, whatever the machine's load: the same work on every run.
          timeBudget: Number.POSITIVE_INFINITY,
          onEpoch: (_done, _total, line) => console.error(`  ${log.name} seed ${seed} ${arch}: ${line}`),
        });
        trained.model.dispose();
        const model = trained.results.find((r) => r.model === 'recommender') as (typeof trained.results)[number];
        shipped.push({
          arch,
          valid: model.valid.ndcg,
          test: model.test,
          settings: model.settings,
          repeat: !!trained.manifest.repeat,
        });
        add(`recommender, ${arch}`, model.test, model.settings);
        for (const r of trained.results.filter((r) => r.model.endsWith(' alone'))) add(r.model, r.test, r.settings);
        runs.push({ log: log.name, seed, arch, results: trained.results });
      }
      // What `--arch auto` ships: each network in turn replaces the one before only where it outdoes it on validation.
      const chosen = shipped.reduce((a, b) => (outdoes(b.valid, a.valid) ? b : a));
      if (archs.length === ARCHS.length) add('recommender', chosen.test, `${chosen.arch}: ${chosen.settings}`);
      for (const b of baselinesFor(!chosen.repeat)) add(b.model, b.test, b.settings);
    }
    const meanOf = (model: string, metric: 'ndcg' | 'hitRate' | 'mrr20') =>
      spread(byModel.get(model)?.test.map((t) => t[metric]) ?? [0]).mean;
    const best = SESSION_BASELINES.filter((b) => byModel.has(b)).reduce((a, b) =>
      meanOf(b, 'ndcg') > meanOf(a, 'ndcg') ? b : a,
    );
    const target = 1.1 * Math.max(meanOf(best, 'ndcg'), meanOf('recommender, sasrec', 'ndcg'));
    for (const [model, m] of byModel) {
      const ndcg = m.test.map((t) => t.ndcg);
      const { mean, sd } = spread(ndcg);
      rows.push({
        metric: `${log.name} sessions, ${model}: NDCG@10 (${plusMinus(ndcg)}), HR@10 ${plusMinus(m.test.map((t) => t.hitRate))}, MRR@20 ${plusMinus(m.test.map((t) => t.mrr20))}${m.settings.size ? ` — ${[...m.settings].join(' | ')}` : ''}`,
        value: mean,
        unit: '',
        ...(model === 'recommender, srgnn' || model === 'recommender, lightgcn'
          ? {
              // The issue's target for the graph models: 1.1× the best of the baselines and the SASRec blend.
              reference: `1.1 × the best of ${best} and the SASRec blend (${target.toFixed(4)}): ×${(mean / (target / 1.1)).toFixed(2)}`,
              pass: mean - sd > target,
            }
          : {}),
        ...(model === 'recommender'
          ? {
              reference: `best session baseline ${best} ${meanOf(best, 'ndcg').toFixed(4)}: ×${(mean / meanOf(best, 'ndcg')).toFixed(2)}`,
              // A gain smaller than the spread over seeds is no gain.
              pass: mean - sd > meanOf(best, 'ndcg'),
            }
          : {}),
      });
    }
    rows.push({
      metric: `${log.name}: the session-kNN settings searched and every baseline judged both ways`,
      value: baselineSeconds,
      unit: 's',
    });
    console.log(
      `${log.name}: sessions ${JSON.stringify(split.info.sessions)}, ${split.valid.length} validation and ${split.test.length} test cases (${split.info.unknownTargets} targets no training session holds, not judged), ${split.vocabulary.size - 1} items; seeds ${seeds.join(', ')}, epochs ${JSON.stringify(log.epochs)}`,
    );
  }
  if (!rows.length) return;
  report(
    // A subset's numbers beside the full run's, not over them.
    only || archs.length < ARCHS.length || oneSeed !== undefined
      ? [
          'recommender-sessions',
          ...(only ?? []),
          ...(archs.length < ARCHS.length ? archs : []),
          ...(oneSeed !== undefined ? [`seed-${oneSeed}`] : []),
        ].join('-')
      : 'recommender-sessions',
    `Session-based next item (${backend}): the last tenth of each log's sessions held out whole, every next item predicted from the session's own earlier items; full ranking; the recommender passes where its mean less one standard deviation beats the best of Markov, item-kNN, SKNN and V-SKNN`,
    rows,
    { runs },
  );
}
