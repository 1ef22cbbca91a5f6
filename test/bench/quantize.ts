/**
 * @module test/bench/quantize — what quantised weights save on the wire and cost in quality, on
 * real logs: the recommender trained once (seed 42) on MovieLens-100k and on the Online Retail
 * year, exactly as `aisle train recommender` trains it, its tensors quantised where validation
 * allows (under 1 % NDCG@10 lost, the neighbour table's width chosen with half of it), and judged on
 * the test items both ways in the same run: the float32 model with the 100-wide table the trainer
 * wrote before, and the one the device decodes; `weights.bin` raw and gzipped, both ways.
 */
import { gzipSync } from 'node:zlib';
import { similarityTable } from '@aisle/shared-models/models/baselines';
import { encodeRecommender } from '@aisle/shared-models/models/recommender';
import { useBackend } from '../../training/src/backend';
import { type LeaveLastOut, leaveLastOrderOut, leaveLastOut } from '../../training/src/data/sequences';
import { toNeighbourTable, trainRecommender } from '../../training/src/pipelines/recommender-sasrec';
import { movieLens100k, movieLensMissing, onlineRetailMissing, onlineRetailPurchases } from './datasets';
import { type Row, report } from './report';

/** The loss in NDCG@10 (relative) the quantised model may show on the test items. */
const MAX_LOSS = 0.01;

async function measure(label: string, split: LeaveLastOut, epochs: number) {
  const trained = await trainRecommender(split, {
    epochs,
    seed: 42,
    onEpoch: (_done, _total, line) => console.error(`  ${label}: ${line}`),
  });
  const q = trained.manifest.metrics.quantization as {
    tensors: Record<string, string>;
    test_ndcg_float32: number;
    test_ndcg: number;
    valid_ndcg_float32: number;
    valid_ndcg: number;
  };
  const width = trained.manifest.metrics.neighbour_width as { chosen: number; test_ndcg_full_width_float32: number };
  // Before: every tensor float32 and the neighbour table 100 wide, as the trainer wrote it until it chose the width.
  const wide = toNeighbourTable(similarityTable(split.train, split.vocabulary.size), 100);
  const bytes = async (quantization: typeof trained.quantization, neighbours = trained.neighbours) => {
    const weights = (await encodeRecommender({ ...trained, neighbours, quantization })).get(
      'weights.bin',
    ) as Uint8Array;
    return { raw: weights.byteLength, gzip: gzipSync(weights).byteLength };
  };
  const [float, small] = [await bytes(undefined, wide), await bytes(trained.quantization)];
  trained.model.dispose();
  const before = width.test_ndcg_full_width_float32;
  const loss = (before - q.test_ndcg) / before;
  const rows: Row[] = [
    {
      metric: `${label}: weights.bin float32, neighbour table 100 wide`,
      value: float.raw / 1e6,
      unit: 'MB',
      reference: `gzip ${(float.gzip / 1e6).toFixed(2)} MB`,
    },
    {
      metric: `${label}: weights.bin quantised, neighbour table ${width.chosen} wide`,
      value: small.raw / 1e6,
      unit: 'MB',
      reference: `gzip ${(small.gzip / 1e6).toFixed(2)} MB; ${((1 - small.gzip / float.gzip) * 100).toFixed(0)} % fewer bytes on the wire`,
    },
    {
      metric: `${label}: test NDCG@10 as shipped (float32, 100 wide: ${before.toFixed(4)}; float32, ${width.chosen} wide: ${q.test_ndcg_float32.toFixed(4)})`,
      value: q.test_ndcg,
      unit: '',
      reference: `loss ${(loss * 100).toFixed(2)} % (validation: ${q.valid_ndcg_float32.toFixed(4)} → ${q.valid_ndcg.toFixed(4)})`,
      pass: loss < MAX_LOSS,
    },
  ];
  return { rows, tensors: q.tensors, float, small, epochs_run: trained.manifest.metrics.epochs_run };
}

export async function benchQuantize() {
  await useBackend('wasm');
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  const absentMl = movieLensMissing();
  if (absentMl) console.warn(`\nquantize on MovieLens-100k: skipped, ${absentMl}`);
  else {
    const m = await measure('MovieLens-100k', leaveLastOut(movieLens100k()), 20);
    rows.push(...m.rows);
    extra.movielens = m;
  }
  const absentRetail = onlineRetailMissing();
  if (absentRetail) console.warn(`\nquantize on Online Retail: skipped, ${absentRetail}`);
  else {
    const purchases = onlineRetailPurchases();
    // At most three epochs: what the trainer's default time budget allows on this log (see recommender-retail).
    const r = await measure('Online Retail', leaveLastOrderOut(purchases), 3);
    rows.push(...r.rows);
    extra.retail = r;
  }
  if (!rows.length) return;
  report(
    'quantize',
    'Quantised recommender weights (TF.js uint8 / uint16 with scale and min, chosen per tensor group on validation), one training run per log (seed 42), the float32 model and the quantised one judged on the same test items',
    rows,
    extra,
  );
}
