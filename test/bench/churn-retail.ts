/**
 * @module test/bench/churn-retail — churn from a real purchase history: the UCI Online Retail year
 * (customers only; returns kept as a signal), each customer's behaviour at six monthly cut-offs
 * (January to June 2011) to learn from and at 9 September 2011 to be judged on, churn meaning no
 * order in the 90 days after the cut-off. The exported model (`aisle train churn --events … --as-of
 * D1,…,D7 --horizon 90d`, the same code) against an RFM logistic regression (recency, frequency,
 * money) and gradient-boosted trees (XGBoost, `ml-xgboost`) on the same rows and split; three seeds.
 */
import { encodeRows, fitTabular, inputSize } from '@aisle/shared-models/features/tabular';
import { useBackend } from '../../training/src/backend';
import { bestF1Threshold, type ClassificationMetrics, classify } from '../../training/src/eval/classification';
import { parseAsOf, rollingBehaviour } from '../../training/src/pipelines/churn-events';
import { splitBeside, trainChurnTable } from '../../training/src/pipelines/churn-table';
import { onlineRetailEvents, onlineRetailMissing } from './datasets';
import { plusMinus, type Row, report, SEEDS, spread } from './report';

const CUT_OFFS = ['2011-01-01', '2011-02-01', '2011-03-01', '2011-04-01', '2011-05-01', '2011-06-01', '2011-09-09'];
const HORIZON_DAYS = 90;
const BENCH_SEEDS = SEEDS.slice(0, 3);
const RFM = ['days_since_last_purchase', 'orders', 'revenue'];

export async function benchChurnRetail() {
  const absent = onlineRetailMissing();
  if (absent) {
    console.warn(`\nchurn on Online Retail: skipped, ${absent}`);
    return;
  }
  const backend = await useBackend('wasm');
  const XGBoost = await (await import('ml-xgboost')).default;
  const events = onlineRetailEvents();
  const { table, split } = rollingBehaviour(events, CUT_OFFS.map(parseAsOf), HORIZON_DAYS * 86_400_000, 'purchase');
  const labels = Uint8Array.from(table.rows, (r) => (r.churned === 'yes' ? 1 : 0));
  const features = table.columns.filter((c) => c !== 'user_id' && c !== 'churned');
  const results: Record<string, ClassificationMetrics[]> = { model: [], logistic: [], mlp: [], rfm: [], gbt: [] };
  const kept = new Map<string, number>();
  let rowsOf = { train: 0, valid: 0, test: 0 };
  for (const seed of BENCH_SEEDS) {
    const options = { label: 'churned', id: 'user_id', positive: 'yes', seed, ...split };
    const ours = await trainChurnTable(table, options);
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
    ['model', `Aisle's churn model (kept on validation: ${[...kept].map(([a, n]) => `${a} ${n}×`).join(', ')})`],
    ['rfm', 'RFM logistic regression'],
    ['gbt', 'gradient-boosted trees (XGBoost)'],
    ['logistic', 'logistic regression, all features'],
    ['mlp', 'MLP, all features'],
  ];
  const mean = (name: string, m: keyof ClassificationMetrics) => spread(results[name].map((r) => r[m])).mean;
  const rows: Row[] = names.flatMap(([name, label]) =>
    (['rocAuc', 'prAuc', 'f1', 'precision', 'recall', 'liftAt10'] as const).map((m): Row => {
      const xs = results[name].map((r) => r[m]);
      const beaten = name === 'model' && (m === 'rocAuc' || m === 'prAuc' || m === 'liftAt10');
      return {
        metric: `${label}: test ${m === 'liftAt10' ? 'lift in the top decile' : m} (${plusMinus(xs)})`,
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
  report(
    'churn-retail',
    `Churn from the UCI Online Retail year (${backend}): customers' behaviour at ${CUT_OFFS.length - 1} monthly cut-offs (${CUT_OFFS[0]} to ${CUT_OFFS[CUT_OFFS.length - 2]}) to learn from, split by customer ${rowsOf.train}/${rowsOf.valid}, and at ${CUT_OFFS[CUT_OFFS.length - 1]} to be judged on (${rowsOf.test} customers, ${churned} of them with no order in the next ${HORIZON_DAYS} days); seeds ${BENCH_SEEDS.join(', ')}; the model passes where its mean less one standard deviation beats both baselines' means`,
    rows,
    { cut_offs: CUT_OFFS, horizon_days: HORIZON_DAYS, results },
  );
}
