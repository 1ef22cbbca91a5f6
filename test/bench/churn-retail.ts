/**
 * @module test/bench/churn-retail — churn from a real purchase history: the UCI Online Retail year
 * (customers only; returns kept as a signal), churn meaning no order in the 90 days after a cut-off.
 * Two periods judged: the autumn (six monthly cut-offs, January to June 2011, to learn from, and 9
 * September to be judged on) and the summer (January to March, judged on 11 June), the second added
 * after the trainer's design was settled on the first. The exported model (`aisle train churn
 * --events … --as-of D1,…,Dn --horizon 90d`, the same code) against an RFM logistic regression
 * (recency, frequency, money) and gradient-boosted trees (XGBoost, `ml-xgboost`) on the same rows
 * and split; three seeds.
 */
import { RFM_COLUMNS as RFM } from '@aisle/shared-models/features/behaviour';
import { encodeRows, fitTabular, inputSize } from '@aisle/shared-models/features/tabular';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { useBackend } from '../../training/src/backend';
import { bestF1Threshold, type ClassificationMetrics, classify } from '../../training/src/eval/classification';
import { parseAsOf, rollingBehaviour } from '../../training/src/pipelines/churn-events';
import { splitBeside, trainChurnTable } from '../../training/src/pipelines/churn-table';
import { onlineRetailEvents, onlineRetailMissing } from './datasets';
import { plusMinus, type Row, report, SEEDS, spread } from './report';

const PERIODS = {
  autumn: ['2011-01-01', '2011-02-01', '2011-03-01', '2011-04-01', '2011-05-01', '2011-06-01', '2011-09-09'],
  summer: ['2011-01-01', '2011-02-01', '2011-03-01', '2011-06-11'],
} as const;
const HORIZON_DAYS = 90;
const BENCH_SEEDS = SEEDS.slice(0, 3);

export async function benchChurnRetail() {
  const absent = onlineRetailMissing();
  if (absent) {
    console.warn(`\nchurn on Online Retail: skipped, ${absent}`);
    return;
  }
  const backend = await useBackend('wasm');
  const events = onlineRetailEvents();
  const judged = [];
  for (const [name, cutOffs] of Object.entries(PERIODS)) judged.push(await period(events, name, cutOffs));
  report(
    'churn-retail',
    `Churn from the UCI Online Retail year (${backend}), customers' behaviour at monthly cut-offs to learn from, split by customer, and a later one to be judged on: ${judged.map((p) => p.story).join('; ')}; seeds ${BENCH_SEEDS.join(', ')}; the model passes where its mean less one standard deviation beats both baselines' means`,
    judged.flatMap((p) => p.rows),
    { horizon_days: HORIZON_DAYS, periods: Object.fromEntries(judged.map((p) => [p.name, p.extra])) },
  );
}

async function period(events: Interaction[], when: string, cutOffs: readonly string[]) {
  const XGBoost = await (await import('ml-xgboost')).default;
  const { table, split } = rollingBehaviour(events, cutOffs.map(parseAsOf), HORIZON_DAYS * 86_400_000, 'purchase');
  const labels = Uint8Array.from(table.rows, (r) => (r.churned === 'yes' ? 1 : 0));
  const features = table.columns.filter((c) => c !== 'user_id' && c !== 'churned');
  const results: Record<string, ClassificationMetrics[]> = {
    model: [],
    logistic: [],
    mlp: [],
    'mlp+rfm': [],
    rfm: [],
    gbt: [],
  };
  const kept = new Map<string, number>();
  let rowsOf = { train: 0, valid: 0, test: 0 };
  for (const seed of BENCH_SEEDS) {
    const options = { label: 'churned', id: 'user_id', positive: 'yes', seed, ...split };
    const ours = await trainChurnTable(table, { ...options, rfm: RFM });
    ours.network.dispose();
    kept.set(ours.compared[0].architecture, (kept.get(ours.compared[0].architecture) ?? 0) + 1);
    rowsOf = ours.rows;
    results.model.push(ours.compared[0].test);
    for (const c of ours.compared) results[c.architecture].push(c.test);

    const rfm = await trainChurnTable(
      {
        columns: ['user_id', ...RFM, 'churned'],
        rows: table.rows.map((r) => ({
          user_id: r.user_id,
          churned: r.churned,
          ...Object.fromEntries(RFM.map((c) => [c, r[c]])),
        })),
      },
      options,
    );
    rfm.network.dispose();
    results.rfm.push((rfm.compared.find((c) => c.architecture === 'logistic') ?? rfm.compared[0]).test);

    // Gradient-boosted trees on the same encoded features and the same split.
    const parts = splitBeside(table.rows.length, split.testRows as ReadonlySet<number>, split.groups, seed);
    const pick = (idx: number[]) => idx.map((i) => table.rows[i]);
    const tabular = fitTabular(pick(parts.train), features);
    const size = inputSize(tabular);
    const matrix = (idx: number[]) => {
      const x = encodeRows(tabular, pick(idx));
      return idx.map((_, r) => Array.from(x.subarray(r * size, (r + 1) * size)));
    };
    const booster = new XGBoost({
      booster: 'gbtree',
      objective: 'binary:logistic',
      max_depth: 4,
      eta: 0.05,
      min_child_weight: 5,
      subsample: 0.8,
      colsample_bytree: 0.8,
      silent: 1,
      seed,
      iterations: 300,
    });
    booster.train(
      matrix(parts.train),
      parts.train.map((i) => labels[i]),
    );
    const validY = Uint8Array.from(parts.valid, (i) => labels[i]);
    const threshold = bestF1Threshold(booster.predict(matrix(parts.valid)), validY);
    results.gbt.push(
      classify(
        booster.predict(matrix(parts.test)),
        Uint8Array.from(parts.test, (i) => labels[i]),
        threshold,
      ),
    );
    booster.free();
  }
  const names: [string, string][] = [
    ['model', `Aisle's churn model (kept by the trainer: ${[...kept].map(([a, n]) => `${a} ${n}×`).join(', ')})`],
    ['rfm', 'RFM logistic regression'],
    ['gbt', 'gradient-boosted trees (XGBoost)'],
    ['logistic', 'logistic regression, all features'],
    ['mlp', 'MLP, all features'],
    ['mlp+rfm', 'MLP averaged with an RFM logistic regression'],
  ];
  const mean = (name: string, m: keyof ClassificationMetrics) => spread(results[name].map((r) => r[m])).mean;
  const rows: Row[] = names.flatMap(([name, label]) =>
    (['rocAuc', 'prAuc', 'f1', 'precision', 'recall', 'liftAt10'] as const).map((m): Row => {
      const xs = results[name].map((r) => r[m]);
      const beaten = name === 'model' && (m === 'rocAuc' || m === 'prAuc' || m === 'liftAt10');
      return {
        metric: `${when}, ${label}: test ${m === 'liftAt10' ? 'lift in the top decile' : m} (${plusMinus(xs)})`,
        value: spread(xs).mean,
        unit: '',
        ...(beaten
          ? {
              reference: `RFM LR ${mean('rfm', m).toFixed(4)}, GBT ${mean('gbt', m).toFixed(4)}`,
              // A gain smaller than the spread over seeds is no gain.
              pass: spread(xs).mean - spread(xs).sd > Math.max(mean('rfm', m), mean('gbt', m)),
            }
          : {}),
      };
    }),
  );
  const churned = Array.from(split.testRows ?? [], (i) => labels[i]).reduce((n: number, y) => n + y, 0);
  const last = cutOffs.length - 1;
  return {
    name: when,
    rows,
    story: `${when}, ${last} cut-offs (${cutOffs[0]} to ${cutOffs[last - 1]}, ${rowsOf.train}/${rowsOf.valid} rows) judged at ${cutOffs[last]} (${rowsOf.test} customers, ${churned} with no order in the next ${HORIZON_DAYS} days)`,
    extra: { cut_offs: cutOffs, results },
  };
}
