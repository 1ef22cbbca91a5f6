/**
 * @module training/pipelines/recommender-warm — a retrain that starts from the model it replaces
 * and moves only what new events speak for. SASRec starts from the earlier weights (the split keeps
 * the earlier items at their indexes: `leaveLastOut(…, keep)`); the rows of the item embedding and
 * of the neighbour table that move belong to items with events since the earlier model's data
 * ended, or to items new to it; every other row keeps its values (its gradient is masked to zero,
 * and a fresh Adam moves nothing without one), and the quantised tensors keep the earlier levels
 * where they still hold (`QuantPin`). Written as the earlier version's weights with a patch
 * (`shared-models/models/patch`), a device that holds that version downloads only the rows that
 * moved and the small dense layers.
 */
import { decodeTensors, type ModelFiles } from '@aisle/shared-models/models/files';
import { parseManifest, verifyShards } from '@aisle/shared-models/models/manifest';
import type { QuantPin } from '@aisle/shared-models/models/quantize';
import type { NeighbourTable, RecommenderManifest, SasRecConfig } from '@aisle/shared-models/models/recommender';
import { RECOMMENDER_FORMAT } from '@aisle/shared-models/models/recommender/format';
import { isItemAction } from '@aisle/shared-models/schema/interaction';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../data/errors';

/** The model a retrain starts from: its manifest, its weights as the device decodes them, its levels. */
export interface WarmStart {
  manifest: RecommenderManifest;
  tensors: Record<string, Float32Array | Int32Array>;
  pins: Record<string, QuantPin>;
  /** Ids of the items whose rows may move (those with events since); new items always may. Absent: every row. */
  moved?: ReadonlySet<string>;
}

/** The time of the latest event a model was trained on (its `metrics.data_until`, ms), when it says. */
export const dataUntil = (manifest: RecommenderManifest): number | undefined => {
  const until = (manifest.metrics as { data_until?: unknown }).data_until;
  return typeof until === 'number' && Number.isFinite(until) ? until : undefined;
};

/**
 * Events that reach the edge late (a device offline for a while, a clock behind) still move their
 * items when they are at most this much older than the earlier model's data; later ones wait for a
 * retrain from scratch, which relearns every row (as it should now and then, after erasures too).
 */
export const LATE_MS = 3_600_000;

/** The ids of the items with events since `until` (less `LATE_MS`); every item may move when it is unknown. */
export function movedSince(
  interactions: readonly { item_id: string; type: string; ts: number }[],
  until: number | undefined,
): Set<string> | undefined {
  if (until === undefined) return undefined;
  const since = until - LATE_MS;
  return new Set(interactions.filter((r) => r.ts > since && isItemAction(r)).map((r) => r.item_id));
}

/** A verified recommender's weights as arrays and the levels its quantised tensors were written with. */
export async function readWarmStart(manifestJson: unknown, files: ModelFiles): Promise<WarmStart> {
  const manifest = parseManifest<RecommenderManifest>(manifestJson, 'recommender');
  await verifyShards(manifest, files);
  const { tensors, model } = decodeTensors<{ weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] }>(
    files,
    RECOMMENDER_FORMAT,
  );
  const arrays: WarmStart['tensors'] = {};
  for (const [name, t] of Object.entries(tensors)) arrays[name] = (await t.data()) as Float32Array | Int32Array;
  tf.dispose(Object.values(tensors));
  return { manifest, tensors: arrays, pins: pinsOf(model.weightsManifest[0].weights) };
}

/** The levels each quantised tensor was written with, by name. */
export function pinsOf(specs: readonly tf.io.WeightsManifestEntry[]): Record<string, QuantPin> {
  const pins: Record<string, QuantPin> = {};
  for (const spec of specs) {
    const q = spec.quantization;
    if ((q?.dtype === 'uint8' || q?.dtype === 'uint16') && q.scale !== undefined && q.min !== undefined) {
      pins[spec.name] = { dtype: q.dtype, scale: q.scale, min: q.min };
    }
  }
  return pins;
}

/**
 * Copies the earlier weights into fresh ones (the earlier items and types are the first rows) and
 * returns the mask of item rows that may move, [items, 1]; a `DataError` when the shapes differ.
 */
export function startFrom(
  weights: Record<string, tf.Variable>,
  warm: WarmStart,
  config: SasRecConfig,
  ids: readonly string[],
): tf.Tensor2D {
  const before = warm.manifest.config;
  if ((before.arch ?? 'sasrec') !== (config.arch ?? 'sasrec'))
    throw new DataError(
      `the model to start from reads histories with ${before.arch ?? 'sasrec'}, this training with ${config.arch ?? 'sasrec'}`,
    );
  for (const key of ['dim', 'maxLen', 'blocks', 'decay'] as const) {
    if (before[key] !== config[key]) {
      throw new DataError(`the model to start from has ${key} ${before[key]}, this training ${config[key]}`);
    }
  }
  for (const [name, variable] of Object.entries(weights)) {
    const earlier = warm.tensors[name];
    if (!earlier) throw new DataError(`the model to start from has no ${name}`);
    if (earlier.length === variable.size) {
      variable.assign(tf.tensor(earlier, variable.shape));
      continue;
    }
    // The item and type embeddings: the earlier rows first (the same ids at the same indexes), new ones as initialised.
    const values = variable.dataSync().slice();
    if (earlier.length > values.length) throw new DataError(`the model to start from has a bigger ${name}`);
    values.set(earlier);
    variable.assign(tf.tensor(values, variable.shape));
  }
  const earlierItems = warm.manifest.items.length;
  if (ids.length < earlierItems || warm.manifest.items.some((id, i) => ids[i] !== id)) {
    throw new DataError('the model to start from lists its items in another order than this training keeps them');
  }
  const mask = new Float32Array(ids.length);
  for (let i = 1; i < ids.length; i++) mask[i] = i >= earlierItems || !warm.moved || warm.moved.has(ids[i]) ? 1 : 0;
  return tf.tensor2d(mask, [ids.length, 1]);
}

/** The neighbour rows of items that did not move, as the earlier model had them. */
export function keepNeighbours(neighbours: NeighbourTable, warm: WarmStart, mask: Float32Array): void {
  const items = warm.tensors.knn_items;
  const similarity = warm.tensors.knn_similarity;
  if (!items || !similarity || items.length !== (warm.manifest.items.length * neighbours.width || -1)) return;
  const w = neighbours.width;
  for (let i = 0; i < warm.manifest.items.length; i++) {
    if (mask[i]) continue;
    neighbours.items.set(items.subarray(i * w, (i + 1) * w), i * w);
    neighbours.similarity.set(similarity.subarray(i * w, (i + 1) * w), i * w);
  }
}
