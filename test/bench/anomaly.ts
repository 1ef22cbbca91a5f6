/**
 * @module test/bench/anomaly — the session autoencoder on MovieLens-100k's real timings: trained on
 * the first 80 % of the log by time, evaluated on the last 20 % with injected scripted bots and card
 * testers, next to the no-model baseline (a session's most extreme standardised feature).
 */
import { createAnomalyModel } from '@aisle/shared-models/models/anomaly';
import { useBackend } from '../../training/src/backend';
import { trainAnomaly } from '../../training/src/pipelines/anomaly';
import { evaluateAnomaly, KINDS } from '../../training/src/pipelines/anomaly-eval';
import { movieLens100k, movieLensMissing } from './datasets';
import { type Row, report } from './report';

const INJECTED = 400;

export async function benchAnomaly() {
  const absent = movieLensMissing();
  if (absent) {
    console.warn(`\nanomaly: skipped, ${absent}`);
    return;
  }
  const backend = await useBackend('wasm');
  const events = movieLens100k();
  const cut = Math.floor(events.length * 0.8);
  const started = performance.now();
  const { network, manifest } = await trainAnomaly(events.slice(0, cut));
  const seconds = (performance.now() - started) / 1000;
  const model = createAnomalyModel(network, { ...manifest, shards: [] });
  const m = manifest.metrics as Record<string, number>;
  const result = evaluateAnomaly(model, events.slice(cut), INJECTED, 1);
  model.dispose();
  const rows: Row[] = KINDS.flatMap(([name]) => {
    const ae = result.autoencoder[name];
    const base = result.baseline[name];
    return [
      {
        metric: `${name}: ROC-AUC`,
        value: ae.rocAuc,
        unit: '',
        reference: `max z-score ${base.rocAuc.toFixed(4)}`,
        pass: ae.rocAuc >= base.rocAuc,
      },
      {
        metric: `${name}: recall at 1 % FPR`,
        value: ae.recallAt1PctFpr,
        unit: '',
        reference: `max z-score ${base.recallAt1PctFpr.toFixed(4)}`,
        pass: ae.recallAt1PctFpr >= base.recallAt1PctFpr,
      },
    ];
  });
  rows.push(
    { metric: `log's own sessions flagged at flag_at ${manifest.flag_at}`, value: result.falsePositives, unit: '' },
    { metric: `training: two fits, ${m.epochs} epochs in all (${backend})`, value: seconds, unit: 's' },
    { metric: 'per epoch', value: ((seconds * 1000) / m.epochs) | 0, unit: 'ms' },
  );
  report(
    'anomaly',
    `Session anomalies on MovieLens-100k timings: trained on the first 80 % by time (${m.sessions} sessions, ${m.excluded_as_suspected_bots} set aside as suspected bots), evaluated on the last 20 % (${result.normalCount} sessions) with ${INJECTED} injected`,
    rows,
    { evaluation: result, training: manifest.metrics },
  );
}
