/**
 * @module shared-models/models/recommender/model — the recommender as trainer and device run it:
 * SASRec's scores blended with item-kNN's (each standardised per shopper, the weight chosen on
 * validation), popularity for shoppers with no known item, items already seen left out.
 */
import * as tf from '@tensorflow/tfjs';
import { type Vocabulary, vocabularyFromList } from '../../features/vocabulary';
import { addNeighbourScores } from '../baselines/item-knn';
import type { NextItemScorer } from '../baselines/types';
import type { ModelManifest } from '../manifest';
import { type ContentTable, contentScores, recentPresence } from './content';
import { encode, itemScores, type SasRecConfig, type SasRecWeights } from './sasrec';

export interface RecommenderManifest extends ModelManifest {
  name: 'recommender';
  config: SasRecConfig;
  /** Item ids by index; index 0 is the unknown bucket. */
  items: string[];
  /** Event types by index; index 0 is the unknown bucket. */
  types: string[];
  /** Weight of SASRec against item-kNN, each standardised per shopper: 1 is SASRec alone. */
  blend: number;
  knn: { neighbours: number; decay: number };
  /**
   * The content signal's weight (0: none), the recency decay of the history it reads, the
   * categories by index and the price-band edges. Absent in models from before it existed.
   */
  content?: { weight: number; decay: number; categories: string[]; band_edges: number[] };
  /**
   * Null: items already in the history are never recommended (the shop's shoppers rarely come
   * back to one). Otherwise they may be, boosted by their recency-weighted presence.
   */
  repeat?: { weight: number; decay: number } | null;
}

/** Item-kNN's neighbour table as exported: [items, neighbours] indexes (0 = none) and similarities. */
export interface NeighbourTable {
  items: Int32Array;
  similarity: Float32Array;
  width: number;
}

export interface RecommenderModel extends NextItemScorer {
  readonly manifest: RecommenderManifest;
  readonly vocabulary: Vocabulary;
  scoreBatch(histories: readonly (readonly number[])[], types: readonly (readonly number[])[]): Float32Array[];
  /** The same, reading results back asynchronously: what the browser must use (WebGPU has no synchronous read-back). */
  scoreBatchAsync(
    histories: readonly (readonly number[])[],
    types: readonly (readonly number[])[],
  ): Promise<Float32Array[]>;
  /**
   * Each shopper's taste as SASRec sees it after their history (ids and type names, oldest first):
   * the hidden state the next item is scored from, L2-normalised. Undefined for a history with no
   * item the model knows.
   */
  embed(histories: readonly (readonly string[])[], types: readonly (readonly string[])[]): (Float32Array | undefined)[];
  /**
   * Which history item (index into `history`, item indexes oldest first) speaks most for `item`:
   * the most recent one whose neighbours include it, weighted by similarity. Undefined when none does.
   */
  explain(history: readonly number[], item: number): number | undefined;
  /** The top `k` item ids after the history (ids and type names, oldest first); none already in it unless the model allows repeats. */
  recommend(history: readonly string[], types: readonly string[], k: number): string[];
  dispose(): void;
}

const standardise = (x: Float32Array) => {
  let mean = 0;
  for (let j = 1; j < x.length; j++) mean += x[j];
  mean /= x.length - 1;
  let variance = 0;
  for (let j = 1; j < x.length; j++) variance += (x[j] - mean) ** 2;
  const std = Math.sqrt(variance / (x.length - 1)) || 1;
  const out = new Float32Array(x.length);
  for (let j = 1; j < x.length; j++) out[j] = (x[j] - mean) / std;
  return out;
};

/** Left-pads (or cuts) a history to the model's window. */
export const padWindow = (s: readonly number[], n: number) => {
  const tail = s.slice(-n);
  return [...new Array(n - tail.length).fill(0), ...tail];
};

export function createRecommenderModel(
  weights: SasRecWeights,
  manifest: RecommenderManifest,
  neighbours: NeighbourTable,
  popularity: Float32Array,
  content?: ContentTable,
  /**
   * Weights that will not change (a loaded model, not one in training): the item embedding is
   * transposed once for scoring instead of on every call — a copy of the whole table each time.
   */
  frozen = false,
): RecommenderModel {
  const c = manifest.config;
  const itemsT = frozen ? tf.keep(tf.transpose(weights.item_embedding)) : undefined;
  const vocabulary = vocabularyFromList(manifest.items);
  const typeVocabulary = vocabularyFromList(manifest.types);

  /** The hidden state after each history, [n, dim]. */
  function lastHidden(histories: readonly (readonly number[])[], types: readonly (readonly number[])[]): tf.Tensor2D {
    return tf.tidy(() => {
      const n = histories.length;
      const items = tf.tensor2d(
        histories.map((h) => padWindow(h, c.maxLen)),
        [n, c.maxLen],
        'int32',
      );
      const kinds = tf.tensor2d(
        types.map((t, i) => padWindow(t.length ? t : histories[i].map(() => 1), c.maxLen)),
        [n, c.maxLen],
        'int32',
      );
      const last = encode(weights, c, items, kinds, false).slice([0, c.maxLen - 1, 0], [n, 1, c.dim]);
      return last.reshape([n, c.dim]) as tf.Tensor2D;
    });
  }

  /** SASRec's scores of every item after each history, as a tensor [n, items]. */
  const neuralTensor = (histories: readonly (readonly number[])[], types: readonly (readonly number[])[]) =>
    tf.tidy(() => {
      const hidden = lastHidden(histories, types);
      return itemsT ? tf.matMul(hidden, itemsT) : itemScores(weights, hidden);
    });
  const split = (scores: Float32Array, n: number) =>
    Array.from({ length: n }, (_, i) => scores.slice(i * c.items, (i + 1) * c.items));
  function neural(histories: readonly (readonly number[])[], types: readonly (readonly number[])[]): Float32Array[] {
    const t = neuralTensor(histories, types);
    try {
      return split(t.dataSync() as Float32Array, histories.length);
    } finally {
      t.dispose();
    }
  }
  /** The same, read back asynchronously: WebGPU cannot read a result synchronously (dataSync gives zeros there). */
  async function neuralAsync(
    histories: readonly (readonly number[])[],
    types: readonly (readonly number[])[],
  ): Promise<Float32Array[]> {
    const t = neuralTensor(histories, types);
    try {
      return split((await t.data()) as Float32Array, histories.length);
    } finally {
      t.dispose();
    }
  }

  const w = neighbours.width;
  const knn = (history: readonly number[]) =>
    addNeighbourScores(new Float32Array(c.items), history, manifest.knn.decay, (i) => ({
      items: neighbours.items.subarray(i * w, (i + 1) * w),
      similarity: neighbours.similarity.subarray(i * w, (i + 1) * w),
    }));

  const knownOf = (histories: readonly (readonly number[])[], types: readonly (readonly number[])[]) => ({
    known: histories.map((h) => h.filter((i) => i > 0)),
    knownTypes: types.map((t, i) => t.filter((_, k) => histories[i][k] > 0)),
  });

  function scoreBatch(
    histories: readonly (readonly number[])[],
    types: readonly (readonly number[])[],
  ): Float32Array[] {
    const { known, knownTypes } = knownOf(histories, types);
    return combine(known, manifest.blend > 0 ? neural(known, knownTypes) : []);
  }

  async function scoreBatchAsync(
    histories: readonly (readonly number[])[],
    types: readonly (readonly number[])[],
  ): Promise<Float32Array[]> {
    const { known, knownTypes } = knownOf(histories, types);
    return combine(known, manifest.blend > 0 ? await neuralAsync(known, knownTypes) : []);
  }

  /** SASRec's scores blended with item-kNN's, the content signal and the repeat boost. */
  function combine(known: number[][], sasrec: Float32Array[]): Float32Array[] {
    const contentWeight = content ? (manifest.content?.weight ?? 0) : 0;
    const repeat = manifest.repeat;
    return known.map((h, i) => {
      // No known item: nothing to go on but what is popular.
      if (!h.length) return popularity.slice();
      const a = manifest.blend > 0 ? standardise(sasrec[i]) : new Float32Array(c.items);
      const b = manifest.blend < 1 ? standardise(knn(h)) : new Float32Array(c.items);
      const out = new Float32Array(c.items);
      // Popularity, a hair's weight, orders what both leave tied.
      for (let j = 1; j < c.items; j++)
        out[j] = manifest.blend * a[j] + (1 - manifest.blend) * b[j] + 1e-6 * popularity[j];
      if (contentWeight > 0 && content) {
        const extra = standardise(contentScores(content, h, manifest.content?.decay ?? 0.8));
        for (let j = 1; j < c.items; j++) out[j] += contentWeight * extra[j];
      }
      if (repeat && repeat.weight > 0) {
        const again = recentPresence(h, repeat.decay, c.items);
        for (let j = 1; j < c.items; j++) out[j] += repeat.weight * again[j];
      }
      return out;
    });
  }

  return {
    name: 'sasrec',
    manifest,
    vocabulary,
    score: (history, types = []) => scoreBatch([history], [types])[0],
    scoreBatch,
    scoreBatchAsync,
    explain(history, item) {
      let best: { at: number; weight: number } | undefined;
      let recency = 1;
      for (let k = history.length - 1; k >= 0; k--, recency *= manifest.knn.decay) {
        const h = history[k];
        if (h <= 0 || h === item) continue;
        for (let n = 0; n < w; n++) {
          if (neighbours.items[h * w + n] !== item) continue;
          const weight = recency * neighbours.similarity[h * w + n];
          if (!best || weight > best.weight) best = { at: k, weight };
          break;
        }
      }
      return best?.at;
    },
    embed(histories, types) {
      const known: number[][] = [];
      const knownTypes: number[][] = [];
      const at: number[] = [];
      histories.forEach((history, i) => {
        const items: number[] = [];
        const kinds: number[] = [];
        history.forEach((id, k) => {
          const item = vocabulary.indexOf(id);
          if (item === 0) return;
          items.push(item);
          kinds.push(typeVocabulary.indexOf(types[i]?.[k] ?? ''));
        });
        at.push(items.length ? known.length : -1);
        if (items.length) {
          known.push(items);
          knownTypes.push(kinds);
        }
      });
      if (!known.length) return histories.map(() => undefined);
      const hidden = lastHidden(known, knownTypes);
      const flat = hidden.dataSync() as Float32Array;
      hidden.dispose();
      return at.map((j) => {
        if (j < 0) return undefined;
        const v = flat.slice(j * c.dim, (j + 1) * c.dim);
        const norm = Math.hypot(...v) || 1;
        for (let d = 0; d < c.dim; d++) v[d] /= norm;
        return v;
      });
    },
    recommend(history, types, k) {
      const items = history.map((id) => vocabulary.indexOf(id));
      const scores = scoreBatch([items], [types.map((t) => typeVocabulary.indexOf(t))])[0];
      const seen = new Set(manifest.repeat ? [] : items);
      const order = Array.from({ length: c.items - 1 }, (_, j) => j + 1)
        .filter((j) => !seen.has(j))
        .sort((x, y) => scores[y] - scores[x]);
      return order.slice(0, k).map((j) => vocabulary.ids[j]);
    },
    dispose() {
      tf.dispose(Object.values(weights));
      itemsT?.dispose();
    },
  };
}
