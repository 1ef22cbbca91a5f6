/**
 * @module test/bench/recommender — next-item quality on MovieLens-100k, leave-last-out, full
 * ranking, three seeds, trained as `aisle train recommender` trains by default (`--arch auto`: SASRec
 * and SR-GNN, the better on validation shipped; each network's test NDCG@10 reported beside it);
 * `benchRecommenderOn` runs any split the same way (Online Retail's too).
 */
import { useBackend } from '../../training/src/backend';
import { type LeaveLastOut, leaveLastOut } from '../../training/src/data/sequences';
import { trainRecommenderArch } from '../../training/src/pipelines/recommender-arch';
import { movieLens100k, movieLensMissing } from './datasets';
import { plusMinus, type Row, report, SEEDS, spread } from './report';

/** Epochs for the benchmark: what `aisle train recommender` runs by default. */
const EPOCHS = 20;
/** Three seeds; `AISLE_BENCH_RECOMMENDER_SEEDS=N` runs the first N (and writes `<name>-seeds-N.json`). */
const SEEDS_WANTED = Number(process.env.AISLE_BENCH_RECOMMENDER_SEEDS) || undefined;
const BENCH_SEEDS = SEEDS.slice(0, SEEDS_WANTED ?? 3);
const BASELINES = ['popularity', 'markov', 'item-knn', 'buy-again'];

/**
 * Trains the recommender on `split` once per seed (its initialisation, batches and dropout), and
 * reports every model's test NDCG@10 and HR@10 as mean ± standard deviation; the recommender
 * passes where its mean less one deviation beats the best baseline's mean.
 */
export async function benchRecommenderOn(name: string, title: string, split: LeaveLastOut, epochs: number) {
  const backend = await useBackend('wasm');
  const byModel = new Map<string, { ndcg: number[]; hitRate: number[]; settings: Set<string> }>();
  const seconds: number[] = [];
  const epochSeconds: number[] = [];
  for (const seed of BENCH_SEEDS) {
    const started = performance.now();
    // As `aisle train recommender` trains by default: every network, a third of the time budget each, the best on validation kept.
    const trained = await trainRecommenderArch(split, 'auto', {
      epochs,
      seed,
      onEpoch: (_done, _total, line) => console.error(`  seed ${seed}: ${line}`),
    });
    seconds.push((performance.now() - started) / 1000);
    epochSeconds.push(...trained.epochSeconds);
    trained.model.dispose();
    const chosen = trained.manifest.config.arch ?? 'sasrec';
    const networks = trained.candidates.map((c) => ({
      model: `recommender, ${c.arch}`,
      settings: `valid ${c.valid_ndcg.toFixed(4)}, ${c.epochs_run} epochs${c.arch === chosen ? ', chosen' : ''}`,
      test: { ndcg: c.test_ndcg, hitRate: Number.NaN },
    }));
    for (const r of [...trained.results, ...networks]) {
      const m = byModel.get(r.model) ?? { ndcg: [], hitRate: [], settings: new Set<string>() };
      byModel.set(r.model, m);
      m.ndcg.push(r.test.ndcg);
      m.hitRate.push(r.test.hitRate);
      if (r.settings) m.settings.add(r.settings);
    }
  }
  const best = BASELINES.filter((b) => byModel.has(b))
    .map((b) => ({ b, ndcg: spread(byModel.get(b)?.ndcg ?? []).mean }))
    .reduce((a, c) => (c.ndcg > a.ndcg ? c : a));
  const rows: Row[] = [...byModel].flatMap(([model, m]) => {
    const { mean, sd } = spread(m.ndcg);
    const settings = [...m.settings].join(' | ');
    return [
      {
        metric: `${model}: NDCG@10 (${plusMinus(m.ndcg)})${settings ? ` — ${settings}` : ''}`,
        value: mean,
        unit: '',
        ...(model === 'recommender'
          ? {
              reference: `best baseline ${best.b} ${best.ndcg.toFixed(4)}`,
              // A gain smaller than the spread over seeds is no gain.
              pass: mean - sd > best.ndcg,
            }
          : {}),
      },
      ...(m.hitRate.every(Number.isFinite)
        ? [{ metric: `${model}: HR@10 (${plusMinus(m.hitRate)})`, value: spread(m.hitRate).mean, unit: '' }]
        : []),
    ];
  });
  rows.push(
    {
      metric: `training time per epoch (${backend})`,
      value: epochSeconds.reduce((s, v) => s + v, 0) / epochSeconds.length,
      unit: 's',
    },
    {
      metric: `whole run per seed: split, baselines, each network ${epochs} epochs at most (an equal share of the time budget each), blend`,
      value: spread(seconds).mean,
      unit: 's',
      reference: 'target < 600 s',
      pass: Math.max(...seconds) < 600,
    },
  );
  report(SEEDS_WANTED ? `${name}-seeds-${SEEDS_WANTED}` : name, `${title}; seeds ${BENCH_SEEDS.join(', ')}`, rows, {
    results: Object.fromEntries([...byModel].map(([model, m]) => [model, { ...m, settings: [...m.settings] }])),
    seconds,
  });
}

export async function benchRecommender() {
  const absent = movieLensMissing();
  if (absent) {
    console.warn(`\nrecommender: skipped, ${absent}`);
    return;
  }
  const split = leaveLastOut(movieLens100k());
  await benchRecommenderOn(
    'recommender',
    `Next-item recommendation on MovieLens-100k: ${split.test.length} users, leave-last-out, full ranking over ${split.vocabulary.size - 1} items, seen items excluded`,
    split,
    EPOCHS,
  );
}
