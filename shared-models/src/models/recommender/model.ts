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
import { archOf, encodeHistories, type HistoryEncoder, padWindow, prepareEncoder } from './encoder';
import { itemScores, type SasRecConfig, type SasRecWeights } from './sasrec';

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
  /** A head cut from a bigger model: the device holds these items, the edge answers the rest (see `./head`). */
  head?: HeadInfo;
}

/** What a head model's manifest says of the whole model it was cut from. */
export interface HeadInfo {
  /** Items in the whole model, the unknown bucket included. */
  of: number;
  /** The candidate table's file among the manifest's shards: the edge's, never fetched by a device. */
  shard: string;
  /** Lower-case hex Merkle root over every item's leaf, in the whole model's item order (item 1 is leaf 0). */
  root: string;
  /** Neighbours per leaf at most. */
  width: number;
}

/**
 * Items beside the model's own for one ranking (the edge's candidates for the products on screen
 * lately): each one's embedding row and its item-kNN score (its similarities to those products,
 * summed with item-kNN's recency decay), and the same score for the model's own items seen with
 * products the model does not hold.
 */
export interface ExtraItems {
  /** [n, dim] */
  rows: Float32Array;
  /** [n]: each one's item-kNN score. */
  similarity: Float32Array;
  /** [n]: the caller's per-item boost, -Infinity to leave one out. */
  adjust?: Float32Array;
  /** The model's own items seen with products the model's table does not hold, and their item-kNN score. */
  near?: { index: Int32Array; similarity: Float32Array };
}

export interface RankOptions {
  adjust?: Float32Array;
  exclude?: Iterable<number>;
  /** Ranked beside the model's items; in the answer, extra item r has index `items + r`. */
  extra?: ExtraItems;
  /**
   * [n, dim] rows of history items the model does not hold (the edge proved them): in the history,
   * index `items + r` is row r. SASRec reads them; item-kNN, content and repeats score nothing for
   * them but count them in their recency.
   */
  rows?: Float32Array;
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
  /**
   * The `m` best items after one history (item and type indexes, oldest first), best first: the
   * scores `scoreBatch` gives, plus `adjust[j]` (the caller's per-item boost, -Infinity to leave an
   * item out; keep one array per set of rules, it is prepared once), items in `exclude` left out.
   * SASRec's encoder runs in plain loops (a batch of one), its catalogue-wide product on the
   * backend, read back once; the blend and the top-m follow in one pass here — what the device
   * does on every event.
   */
  rankAsync(
    history: readonly number[],
    types: readonly number[],
    m: number,
    options?: RankOptions,
  ): Promise<{ index: Int32Array; score: Float32Array }>;
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
  /**
   * What shoppers view with `item`: the items item-kNN holds nearest to it (indexes, nearest first)
   * whose similarity is at least `share` of the nearest one's — the strong ties, not the long tail
   * every popular item sits in.
   */
  neighboursOf(item: number, share?: number): number[];
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

/**
 * The `m` highest of `scores` (plus `plus`, item by item, when given) that are not -Infinity, best
 * first, ties to the lower index: a min-heap of size m, so a catalogue is read once.
 */
export function topOf(
  scores: Float32Array,
  m: number,
  plus?: Float32Array,
): { index: Int32Array; score: Float32Array } {
  const index = new Int32Array(m);
  const score = new Float32Array(m);
  let size = 0;
  // Whether entry a ranks below entry b (a lower score, or an equal score on a later index).
  const below = (a: number, b: number) => score[a] < score[b] || (score[a] === score[b] && index[a] > index[b]);
  const swap = (a: number, b: number) => {
    const [i, s] = [index[a], score[a]];
    index[a] = index[b];
    score[a] = score[b];
    index[b] = i;
    score[b] = s;
  };
  for (let j = 0; j < scores.length; j++) {
    const s = plus ? scores[j] + plus[j] : scores[j];
    if (s === Number.NEGATIVE_INFINITY || Number.isNaN(s)) continue;
    if (size < m) {
      index[size] = j;
      score[size] = s;
      for (let i = size++; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!below(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (m > 0 && s > score[0]) {
      // Equal to the weakest kept: that one came first, so it stays.
      index[0] = j;
      score[0] = s;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < size && below(l, least)) least = l;
        if (r < size && below(r, least)) least = r;
        if (least === i) break;
        swap(i, least);
        i = least;
      }
    }
  }
  const order = Array.from({ length: size }, (_, r) => r).sort((a, b) => score[b] - score[a] || index[a] - index[b]);
  return { index: Int32Array.from(order, (r) => index[r]), score: Float32Array.from(order, (r) => score[r]) };
}

export { padWindow };

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
  // Weights in training change under us: only a frozen model prepares the single-history fast path.
  let prepared: Promise<HistoryEncoder> | undefined;
  let ready: HistoryEncoder | undefined;
  const vocabulary = vocabularyFromList(manifest.items);
  const typeVocabulary = vocabularyFromList(manifest.types);

  /** The hidden state after each history, [n, dim]. */
  const lastHidden = (histories: readonly (readonly number[])[], types: readonly (readonly number[])[]) =>
    encodeHistories(weights, c, histories, types);

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
  const w = neighbours.width;
  /** Item-kNN's scores after `history`, added into `into` (a fresh array by default); `touched` collects the items scored. */
  const knn = (history: readonly number[], into = new Float32Array(c.items), touched?: Set<number>) =>
    addNeighbourScores(into, history, manifest.knn.decay, (i) => {
      const items = neighbours.items.subarray(i * w, (i + 1) * w);
      if (touched) for (let k = 0; k < items.length && items[k]; k++) touched.add(items[k]);
      return { items, similarity: neighbours.similarity.subarray(i * w, (i + 1) * w) };
    });

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

  /** Per `adjust` array (the caller keeps one per set of rules): popularity's hair plus it, the bucket left out. */
  const bases = new WeakMap<Float32Array, Float32Array>();
  const noAdjust = new Float32Array(0);
  const baseFor = (adjust: Float32Array = noAdjust) => {
    let base = bases.get(adjust);
    if (!base) {
      base = new Float32Array(c.items);
      for (let j = 1; j < c.items; j++) base[j] = 1e-6 * popularity[j] + (adjust[j] ?? 0);
      base[0] = Number.NEGATIVE_INFINITY;
      bases.set(adjust, base);
    }
    return base;
  };
  let scratch: Float32Array<ArrayBuffer> | undefined;

  /**
   * Everything of the blend but SASRec, per item, plus `adjust`; items already seen (unless repeats
   * are allowed), `exclude` and the unknown bucket at -Infinity; and a constant every item's score
   * is off by (the part of standardising item-kNN that moves all items alike). Dense work is one
   * copy: item-kNN and the repeat boost touch a few hundred items. With no known item: popularity.
   */
  function rest(
    h: number[],
    adjust: Float32Array | undefined,
    exclude: Iterable<number> | undefined,
    into: Float32Array = new Float32Array(c.items),
    extra?: ExtraItems,
    /** SASRec scores this ranking too (from rows past the model's own, when `h` is empty). */
    encoded = h.length > 0 && manifest.blend > 0,
  ): { out: Float32Array; offset: number; knnWeight: number } {
    const n = c.items;
    let offset = 0;
    let knnWeight = 0;
    const out = into;
    const near = extra?.near;
    const extras = extra?.similarity.length ?? 0;
    if (!h.length && !near?.index.length && !extras && !encoded) {
      for (let j = 1; j < n; j++) out[j] = popularity[j] + (adjust?.[j] ?? 0);
      out[0] = Number.NEGATIVE_INFINITY;
    } else {
      out.set(baseFor(adjust));
      // With no item SASRec knows, item-kNN (the product on screen's neighbours) speaks alone.
      const share = encoded ? 1 - manifest.blend : 1;
      if (share > 0) {
        // Item-kNN standardised: its mean and spread from the few items it scores.
        scratch ??= new Float32Array(n);
        const scored = scratch;
        const touched = new Set<number>();
        knn(h, scored, touched);
        // The product on screen, newest of all, where the model's table does not hold it.
        near?.index.forEach((j, r) => {
          if (j <= 0 || j >= n) return;
          scored[j] += near.similarity[r];
          touched.add(j);
        });
        let sum = 0;
        let squares = 0;
        for (const j of touched) {
          sum += scored[j];
          squares += scored[j] * scored[j];
        }
        for (const s of extra?.similarity ?? []) {
          sum += s;
          squares += s * s;
        }
        const count = n - 1 + extras;
        const mean = sum / count;
        const std = Math.sqrt(Math.max(0, squares / count - mean * mean)) || 1;
        knnWeight = share / std;
        for (const j of touched) {
          out[j] += knnWeight * scored[j];
          scored[j] = 0;
        }
        offset -= knnWeight * mean;
      }
      const contentWeight = content ? (manifest.content?.weight ?? 0) : 0;
      if (contentWeight > 0 && content) {
        const extra = standardise(contentScores(content, h, manifest.content?.decay ?? 0.8));
        for (let j = 1; j < n; j++) out[j] += contentWeight * extra[j];
      }
      const repeat = manifest.repeat;
      if (repeat && repeat.weight > 0) {
        let w = 1;
        for (let k = h.length - 1; k >= 0; k--, w *= repeat.decay) out[h[k]] += repeat.weight * w;
      } else for (const i of h) out[i] = Number.NEGATIVE_INFINITY;
    }
    for (const j of exclude ?? []) if (j > 0 && j < n) out[j] = Number.NEGATIVE_INFINITY;
    return { out, offset, knnWeight };
  }

  /** SASRec's hidden state after one history (every item known), [dim]. */
  async function hiddenOf(
    history: readonly number[],
    types: readonly number[],
    rows?: Float32Array,
  ): Promise<Float32Array> {
    const tail = (xs: readonly number[]) => xs.slice(-c.maxLen);
    if (frozen) {
      // On wasm the products over many rows take XNNPACK's kernels; elsewhere plain loops.
      prepared ??= prepareEncoder(weights, c, tf.getBackend() === 'wasm').then((p) => (ready = p));
      return (await prepared).encode(tail(history), tail(types), rows);
    }
    const hidden = lastHidden([history], [types]);
    try {
      return (await hidden.data()) as Float32Array;
    } finally {
      hidden.dispose();
    }
  }

  async function rankAsync(
    history: readonly number[],
    types: readonly number[],
    m: number,
    options: RankOptions = {},
  ): Promise<{ index: Int32Array; score: Float32Array }> {
    const { known, knownTypes } = knownOf([history], [types.length ? types : history.map(() => 1)]);
    // Rows past the model's own only where they are given and the encoder reads them in plain loops.
    const given = options.rows && frozen ? Math.floor(options.rows.length / c.dim) : 0;
    const keep = known[0].map((i) => i < c.items + given);
    const h = known[0].filter((_, k) => keep[k]);
    const t = knownTypes[0].filter((_, k) => keep[k]);
    // A catalogue-sized buffer per call, reused unless two calls overlap: less for the collector.
    const buffer = spare ?? new Float32Array(c.items);
    spare = undefined;
    try {
      return await rankWith(h, t, m, options, buffer);
    } finally {
      spare = buffer;
    }
  }
  let spare: Float32Array | undefined;

  async function rankWith(
    h: number[],
    types: number[],
    m: number,
    options: RankOptions,
    buffer: Float32Array,
  ): Promise<{ index: Int32Array; score: Float32Array }> {
    const extra = options.extra;
    const encoded = h.length > 0 && manifest.blend > 0;
    // Items past the model's own (read by their rows) score nothing in item-kNN, content or repeats,
    // yet count in item-kNN's recency: its decay runs over the same products the extra items' does.
    const { out: others, offset, knnWeight } = rest(h, options.adjust, options.exclude, buffer, extra, encoded);
    let shift = offset;
    let scores = others;
    let plus: Float32Array | undefined;
    // The extra items: item-kNN's part (their similarity to the product on screen) and the boost; SASRec's below.
    const extraScores = Float32Array.from(extra?.similarity ?? [], (s, r) => knnWeight * s + (extra?.adjust?.[r] ?? 0));
    if (encoded) {
      const hidden = await hiddenOf(h, types, options.rows);
      // SASRec's scores standardised over the catalogue: their mean and variance follow from the
      // hidden state and the embedding's own mean and covariance, so the backend computes the bare
      // catalogue-wide product of the scaled state and nothing else reads the whole catalogue there.
      const { mean, covariance } = await embeddingStats();
      const d = c.dim;
      let variance = 0;
      for (let i = 0; i < d; i++) {
        let row = 0;
        for (let k = 0; k < d; k++) row += covariance[i * d + k] * hidden[k];
        variance += hidden[i] * row;
      }
      const scale = manifest.blend / Math.sqrt(Math.max(0, variance) + 1e-12);
      const scaled = hidden.map((v) => v * scale);
      for (let k = 0; k < d; k++) shift -= scaled[k] * mean[k];
      for (let r = 0; r < extraScores.length; r++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += scaled[k] * (extra as ExtraItems).rows[r * d + k];
        extraScores[r] += dot;
      }
      const product = tf.tidy(() => {
        const query = tf.tensor2d(scaled, [1, d]);
        return itemsT ? tf.matMul(query, itemsT) : itemScores(weights, query);
      });
      // One read-back, and the top m picked here: a top-k on the GPU backends is dozens of sorting passes.
      try {
        scores = (await product.data()) as Float32Array;
      } finally {
        product.dispose();
      }
      plus = others;
    }
    const top = extraScores.length ? merged(topOf(scores, m, plus), extraScores, m) : topOf(scores, m, plus);
    for (let r = 0; r < top.score.length; r++) top.score[r] += shift;
    return top;
  }

  /** The best `m` of the model's top and the extra items (index `items + r`), best first, ties to the lower index. */
  function merged(top: { index: Int32Array; score: Float32Array }, extra: Float32Array, m: number) {
    const all = Array.from(top.index, (j, r) => ({ j, s: top.score[r] }));
    extra.forEach((s, r) => {
      if (s !== Number.NEGATIVE_INFINITY && !Number.isNaN(s)) all.push({ j: c.items + r, s });
    });
    all.sort((a, b) => b.s - a.s || a.j - b.j);
    const best = all.slice(0, m);
    return { index: Int32Array.from(best, (e) => e.j), score: Float32Array.from(best, (e) => e.s) };
  }

  /** The item embedding's mean and covariance ([dim × dim], row-major) over real items; once for a frozen model. */
  let stats: Promise<{ mean: Float32Array; covariance: Float32Array }> | undefined;
  function embeddingStats() {
    if (stats) return stats;
    const computed = tf.tidy(() => {
      const items = weights.item_embedding.slice([1, 0], [c.items - 1, c.dim]) as tf.Tensor2D;
      const mean = items.mean(0);
      const centred = items.sub(mean);
      return [mean, tf.matMul(centred, centred, true).div(c.items - 1)];
    });
    const read = Promise.all(computed.map((t) => t.data() as Promise<Float32Array>)).then(([mean, covariance]) => {
      tf.dispose(computed);
      return { mean, covariance };
    });
    if (frozen) stats = read;
    return read;
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
    name: archOf(c),
    manifest,
    vocabulary,
    score: (history, types = []) => scoreBatch([history], [types])[0],
    scoreBatch,
    rankAsync,
    neighboursOf(item, share = 0.5) {
      if (item <= 0 || item >= c.items) return [];
      const out: number[] = [];
      const best = neighbours.similarity[item * w];
      if (!(best > 0)) return [];
      for (let n = 0; n < w && neighbours.items[item * w + n] > 0; n++) {
        if (neighbours.similarity[item * w + n] < share * best) break;
        out.push(neighbours.items[item * w + n]);
      }
      return out;
    },
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
      if (ready) ready.dispose();
      else prepared?.then((p) => p.dispose());
    },
  };
}
