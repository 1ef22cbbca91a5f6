/**
 * @module test/bench/churn — the tabular churn path on UCI Online Shoppers (purchase intent): the
 * same command an operator runs on a CRM export, against the published logistic-regression ROC-AUC.
 */
import { useBackend } from '../../training/src/backend';
import { readTable } from '../../training/src/data/table';
import type { ClassificationMetrics } from '../../training/src/eval/classification';
import { trainChurnTable } from '../../training/src/pipelines/churn-table';
import { onlineShoppersFile, onlineShoppersMissing } from './datasets';
import { plusMinus, type Row, report, SEEDS, spread } from './report';

/** Published for orientation in the issue: a plain logistic regression on this data. */
const PUBLISHED_LR_ROC_AUC = 0.89;

export async function benchChurn() {
  const absent = onlineShoppersMissing();
  if (absent) {
    console.warn(`\nchurn: skipped, ${absent}`);
    return;
  }
  const backend = await useBackend('wasm');
  const table = readTable(onlineShoppersFile());
  // Each seed draws its own stratified split, initial weights and batch order.
  const train = async (seed: number) => {
    const started = performance.now();
    const epochs: number[] = [];
    let last = started;
    const result = await trainChurnTable(table, {
      label: 'Revenue',
      categorical: ['OperatingSystems', 'Browser', 'Region', 'TrafficType'],
      seed,
      onEpoch: () => {
        epochs.push(performance.now() - last);
        last = performance.now();
      },
    });
    result.network.dispose();
    return { seed, seconds: (performance.now() - started) / 1000, epochs, result };
  };
  const runs: Awaited<ReturnType<typeof train>>[] = [];
  for (const seed of SEEDS) runs.push(await train(seed));
  const [first] = runs;
  const of = (architecture: string, metric: (t: ClassificationMetrics) => number) =>
    runs.map((r) =>
      metric((r.result.compared.find((c) => c.architecture === architecture) as { test: ClassificationMetrics }).test),
    );
  const rows: Row[] = first.result.compared.flatMap((c) => {
    const auc = of(c.architecture, (t) => t.rocAuc);
    const row = (name: string, metric: (t: ClassificationMetrics) => number): Row => {
      const xs = of(c.architecture, metric);
      return { metric: `${c.architecture}: test ${name} (${plusMinus(xs)})`, value: spread(xs).mean, unit: '' };
    };
    return [
      {
        metric: `${c.architecture}: test ROC-AUC (${plusMinus(auc)})`,
        value: spread(auc).mean,
        unit: '',
        reference: `published LR ${PUBLISHED_LR_ROC_AUC}`,
        pass: spread(auc).mean - spread(auc).sd >= PUBLISHED_LR_ROC_AUC,
      },
      row('PR-AUC', (t) => t.prAuc),
      row('F1', (t) => t.f1),
      row('precision', (t) => t.precision),
      row('recall', (t) => t.recall),
      row('accuracy', (t) => t.accuracy),
    ];
  });
  rows.push(
    {
      metric: `training, both networks, seed ${first.seed} (${backend}, ${first.epochs.length} epochs)`,
      value: first.seconds,
      unit: 's',
    },
    { metric: 'per epoch', value: (first.epochs.reduce((s, v) => s + v, 0) / first.epochs.length) | 0, unit: 'ms' },
  );
  report(
    'churn',
    `Churn, tabular path, on UCI Online Shoppers (label Revenue): ${first.result.rows.train}/${first.result.rows.valid}/${first.result.rows.test} rows train/validation/test, stratified; mean ± standard deviation over seeds ${SEEDS.join(', ')} (split, initial weights, batch order)`,
    rows,
    { runs: runs.map((r) => ({ seed: r.seed, seconds: r.seconds, compared: r.result.compared })) },
  );
}
