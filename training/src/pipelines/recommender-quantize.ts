/**
 * @module training/pipelines/recommender-quantize — which of a trained recommender's tensors ship
 * in fewer bytes, chosen by their measured effect: integer tables (neighbour indexes, categories,
 * price bands) in the fewest bits that hold them exactly; each float group (the item embedding,
 * the neighbour similarities, the rest of SASRec, the items' coldness) tried as uint8, then uint16,
 * and kept at the first that leaves the validation NDCG@10 of the model with everything kept so
 * far within `maxLoss` (relative) of the float32 model's — so the whole model stays within it
 * (greedily: the biggest group, tried first, may use most of the allowance) — else float32.
 * Popularity stays float32: validation cannot see it (every case there has a history; popularity
 * is the whole ranking only for a shopper with none), and it is a few kilobytes. A tensor with a
 * value that is not finite (a training that diverged) stays float32. With `reference`, the
 * allowance is measured from that validation NDCG@10 instead (the trainer's model before it
 * narrowed the neighbour table). The test set is not looked at; the model returned is the one the
 * device will decode (with an earlier version's levels where `pins` still hold, as written).
 */
import {
  BYTES,
  dequantize,
  losslessDtype,
  type QuantDtype,
  type QuantPin,
  quantize,
} from '@aisle/shared-models/models/quantize';
import {
  type ContentTable,
  createRecommenderModel,
  type NeighbourTable,
  type RecommenderManifest,
  type RecommenderModel,
} from '@aisle/shared-models/models/recommender';
import * as tf from '@tensorflow/tfjs';
import type { LeaveLastOut } from '../data/sequences';
import { evaluateRanking } from '../eval/ranking';

export interface QuantizationReport {
  /** The tensors written in fewer bits, by name. */
  tensors: Record<string, QuantDtype>;
  /** weights.bin in bytes: as chosen, and all float32 / int32. */
  bytes: number;
  bytes_float32: number;
  valid_ndcg_float32: number;
  valid_ndcg: number;
  /** Each try on a float group: its validation NDCG@10 and whether it was kept. */
  tried: { group: string; dtype: QuantDtype; valid_ndcg: number; kept: boolean }[];
}

interface Parts {
  weights: Record<string, tf.Tensor>;
  manifest: Omit<RecommenderManifest, 'shards'>;
  neighbours: NeighbourTable;
  popularity: Float32Array;
  content: ContentTable;
}

/** The float groups tried, biggest first (each a list of tensor names; `*sasrec` is every weight of the network — SASRec's, SR-GNN's — but the item embedding). */
const GROUPS: [string, string[] | '*sasrec'][] = [
  ['item embedding', ['item_embedding']],
  ['neighbour similarities', ['knn_similarity']],
  ["the network's other weights", '*sasrec'],
  ['item coldness', ['item_coldness']],
];

export function chooseQuantization(
  parts: Parts,
  split: LeaveLastOut,
  {
    maxLoss = 0.01,
    excludeSeen = true,
    pins = {},
    reference,
  }: { maxLoss?: number; excludeSeen?: boolean; pins?: Record<string, QuantPin>; reference?: number } = {},
): { report: QuantizationReport; model: RecommenderModel } {
  const sasrec = Object.keys(parts.weights);
  // Every tensor the format writes, as values: SASRec's weights and the tables beside them.
  const floats: Record<string, Float32Array> = {
    ...Object.fromEntries(sasrec.map((n) => [n, parts.weights[n].dataSync() as Float32Array])),
    knn_similarity: parts.neighbours.similarity,
    popularity: parts.popularity,
    item_coldness: parts.content.coldness,
  };
  const integers: Record<string, Int32Array> = {
    knn_items: parts.neighbours.items,
    item_category: parts.content.category,
    item_band: parts.content.band,
  };
  const chosen: Record<string, QuantDtype> = {};
  for (const [name, values] of Object.entries(integers)) {
    const dtype = losslessDtype(values);
    if (dtype) chosen[name] = dtype;
  }
  const dequantized = (name: string) =>
    chosen[name] ? (dequantize(quantize(floats[name], chosen[name], false, pins[name])) as Float32Array) : floats[name];

  /** The model with the chosen tensors as the device reads them back; the caller disposes it. */
  const build = () => {
    const weights = Object.fromEntries(
      sasrec.map((n) => [n, chosen[n] ? tf.tensor(dequantized(n), parts.weights[n].shape) : parts.weights[n]]),
    );
    const model = createRecommenderModel(
      weights,
      parts.manifest as RecommenderManifest,
      { ...parts.neighbours, similarity: dequantized('knn_similarity') },
      dequantized('popularity'),
      { ...parts.content, coldness: dequantized('item_coldness') },
    );
    const dispose = () => tf.dispose(sasrec.filter((n) => chosen[n]).map((n) => weights[n]));
    return { model, dispose };
  };
  const validNdcg = () => {
    const { model, dispose } = build();
    try {
      return evaluateRanking(model, split.valid, { excludeSeen }).ndcg;
    } finally {
      dispose();
    }
  };

  const baseline = validNdcg();
  let current = baseline;
  const tried: QuantizationReport['tried'] = [];
  for (const [group, names] of GROUPS) {
    const members = (names === '*sasrec' ? sasrec.filter((n) => n !== 'item_embedding') : names).filter((n) =>
      floats[n].every(Number.isFinite),
    );
    if (!members.length) continue;
    for (const dtype of ['uint8', 'uint16'] as const) {
      for (const n of members) chosen[n] = dtype;
      const ndcg = validNdcg();
      const kept = ndcg >= (reference ?? baseline) * (1 - maxLoss);
      tried.push({ group, dtype, valid_ndcg: ndcg, kept });
      if (kept) {
        current = ndcg;
        break;
      }
      for (const n of members) delete chosen[n];
    }
  }
  const sizeOf = (name: string, length: number) => length * (chosen[name] ? BYTES[chosen[name]] : 4);
  const all = { ...floats, ...integers };
  const report: QuantizationReport = {
    tensors: { ...chosen },
    bytes: Object.entries(all).reduce((n, [name, v]) => n + sizeOf(name, v.length), 0),
    bytes_float32: Object.values(all).reduce((n, v) => n + 4 * v.length, 0),
    valid_ndcg_float32: baseline,
    valid_ndcg: current,
    tried,
  };
  const shipped = build().model;
  // The model owns its dequantised copies; disposing it frees the float32 weights it was made from too.
  const model: RecommenderModel = {
    ...shipped,
    dispose() {
      shipped.dispose();
      tf.dispose(Object.values(parts.weights));
    },
  };
  return { report, model };
}
