/**
 * @module test/bench/churn — the tabular churn path on UCI Online Shoppers (purchase intent): the
 * same command an operator runs on a CRM export, against the published logistic-regression ROC-AUC.
 */
import { useBackend } from '../../training/src/backend';
import { readTable } from '../../training/src/data/table';
import { trainChurnTable } from '../../training/src/pipelines/churn-table';
import { onlineShoppersFile, onlineShoppersMissing } from './datasets';
import { type Row, report } from './report';

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
  const started = performance.now();
  const epochs: number[] = [];
  let last = started;
  const result = await trainChurnTable(table, {
    label: 'Revenue',
    categorical: ['OperatingSystems', 'Browser', 'Region', 'TrafficType'],
    onEpoch: () => {
      epochs.push(performance.now() - last);
      last = performance.now();
    },
  });
  const seconds = (performance.now() - started) / 1000;
  result.network.dispose();
  const rows: Row[] = result.compared.flatMap((c) => [
    {
      metric: `${c.architecture}: test ROC-AUC`,
      value: c.test.rocAuc,
      unit: '',
      reference: `published LR ${PUBLISHED_LR_ROC_AUC}`,
      pass: c.test.rocAuc >= PUBLISHED_LR_ROC_AUC,
    },
    { metric: `${c.architecture}: test PR-AUC`, value: c.test.prAuc, unit: '' },
    {
      metric: `${c.architecture}: test F1 (precision / recall ${c.test.precision.toFixed(3)} / ${c.test.recall.toFixed(3)})`,
      value: c.test.f1,
      unit: '',
    },
    { metric: `${c.architecture}: test accuracy`, value: c.test.accuracy, unit: '' },
  ]);
  rows.push(
    { metric: `training, both networks (${backend}, ${epochs.length} epochs)`, value: seconds, unit: 's' },
    { metric: 'per epoch', value: (epochs.reduce((s, v) => s + v, 0) / epochs.length) | 0, unit: 'ms' },
  );
  report(
    'churn',
    `Churn, tabular path, on UCI Online Shoppers (label Revenue): ${result.rows.train}/${result.rows.valid}/${result.rows.test} rows train/validation/test, stratified, seed 42`,
    rows,
    { compared: result.compared },
  );
}
