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
import { plusMinus, type Row, report, SEEDS, spread } from './report';

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
  // The same injected sessions (injection seed 1) for every training seed: only the model changes.
  const train = async (seed: number) => {
    const started = performance.now();
    const { network, manifest } = await trainAnomaly(events.slice(0, cut), { seed });
    const seconds = (performance.now() - started) / 1000;
    const model = createAnomalyModel(network, { ...manifest, shards: [] });
    const result = evaluateAnomaly(model, events.slice(cut), INJECTED, 1);
    model.dispose();
    return { seed, seconds, manifest, result };
  };
  const runs: Awaited<ReturnType<typeof train>>[] = [];
  for (const seed of SEEDS) runs.push(await train(seed));
  const [{ manifest, result }] = runs;
  const m = manifest.metrics as Record<string, number>;
  const rows: Row[] = KINDS.flatMap(([name]) => {
    const base = result.baseline[name];
    const auc = runs.map((r) => r.result.autoencoder[name].rocAuc);
    const recall = runs.map((r) => r.result.autoencoder[name].recallAt1PctFpr);
    return [
      {
        metric: `${name}: ROC-AUC, mean of ${SEEDS.length} seeds (${plusMinus(auc)})`,
        value: spread(auc).mean,
        unit: '',
        reference: `max z-score ${base.rocAuc.toFixed(4)}`,
        pass: spread(auc).mean - spread(auc).sd >= base.rocAuc,
      },
      {
        metric: `${name}: recall at 1 % FPR, mean of ${SEEDS.length} seeds (${plusMinus(recall)})`,
        value: spread(recall).mean,
        unit: '',
        reference: `max z-score ${base.recallAt1PctFpr.toFixed(4)}`,
        pass: spread(recall).mean - spread(recall).sd >= base.recallAt1PctFpr,
      },
    ];
  });
  rows.push(
    {
      metric: `log's own sessions flagged at flag_at ${manifest.flag_at}, mean of ${SEEDS.length} seeds`,
      value: spread(runs.map((r) => r.result.falsePositives)).mean,
      unit: '',
    },
    {
      metric: `share of the 1 % scored highest tied with another score, mean of ${SEEDS.length} seeds`,
      value: spread(runs.map((r) => r.result.tiedAtTop)).mean,
      unit: '',
      reference: `plain percentile ${spread(runs.map((r) => r.result.tiedAtTopPlain)).mean.toFixed(4)}; target none`,
      pass: runs.every((r) => r.result.tiedAtTop === 0),
    },
    {
      metric: `training: two fits, ${m.epochs} epochs in all for seed ${runs[0].seed} (${backend})`,
      value: runs[0].seconds,
      unit: 's',
    },
    { metric: 'per epoch', value: ((runs[0].seconds * 1000) / m.epochs) | 0, unit: 'ms' },
  );
  report(
    'anomaly',
    `Session anomalies on MovieLens-100k timings: trained on the first 80 % by time (${m.sessions} sessions, ${m.excluded_as_suspected_bots} set aside as suspected bots), evaluated on the last 20 % (${result.normalCount} sessions) with ${INJECTED} injected; seeds ${SEEDS.join(', ')}; a model passes where its mean less one standard deviation reaches the baseline`,
    rows,
    {
      runs: runs.map((r) => ({ seed: r.seed, seconds: r.seconds, evaluation: r.result, training: r.manifest.metrics })),
    },
  );
}
