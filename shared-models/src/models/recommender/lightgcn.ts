/**
 * @module shared-models/models/recommender/lightgcn — graph embeddings over the shoppers–items graph
 * (He et al., LightGCN, 2020): each item's embedding is propagated through the shoppers who touched
 * it to the items they touched (no feature transform, no non-linearity: each hop a normalised sum),
 * so an item with few shoppers borrows the embedding of the busy items beside it.
 *
 * Inductive, so that it serves shoppers it never trained on (the anonymous majority, a first visit):
 * no shopper has an embedding of their own (layer 0 is zero for shoppers: the items' odd layers are
 * then zero too), and a shopper is a weighted sum of their items' final embeddings P — the device
 * ships P (`item_embedding`, what every item is scored against and what a history is read from),
 * never the graph. Two departures from the paper's shopper side, both measured on MovieLens: the
 * later items of a history weigh more (`decay`, for shoppers whose visit moves on), and an item of
 * the history is not divided by √(its degree) as LightGCN's propagation to a shopper would divide it
 * (on sessions the same validation NDCG@10 and +6 % on test; leave-last-out +3 % on both), which
 * also lets a row the edge sends for an item past a device's head serve as history exactly as the
 * whole model's does. Event types play no part. Training alone holds the graph (`lightgcnGraph`,
 * `propagate`).
 */
import * as tf from '@tensorflow/tfjs';
import type { SasRecConfig, SasRecWeights } from './sasrec';

/** The window the trainer gives LightGCN unless told: a shopper is their latest this many distinct items. */
export const LIGHTGCN_WINDOW = 50;

/**
 * How much less each earlier distinct item of the history weighs, unless told: a shopper is where
 * their visit is going more than where it began. Chosen on MovieLens sessions' validation items,
 * with the history's items then still divided by √degree (0.4, 0.7, 0.85, none: 0.0956, 0.1025,
 * 0.1020 and 0.0722 NDCG@10 after ten epochs); Online Retail and YooChoose never tuned it.
 */
export const LIGHTGCN_DECAY = 0.7;

/** The most item-to-item hops a trainer may ask for (`blocks`; the device does not run them, but the format checks the config). */
export const LIGHTGCN_HOPS = 4;

/** Names and shapes of LightGCN's shipped weights, in the order they are exported in. */
export function lightgcnShapes(c: SasRecConfig): [string, number[]][] {
  return [['item_embedding', [c.items, c.dim]]];
}

/** The training histories as a graph: each distinct (shopper, item) pair an edge, weighted 1/√(deg_shopper · deg_item). */
export interface ShopperItemGraph {
  shoppers: number;
  items: number;
  /** Per edge: its shopper, its item, its weight. */
  shopper: Int32Array;
  item: Int32Array;
  weight: Float32Array;
}

/** The graph of `histories` (item indexes; 0 and indexes past `items` left out). */
export function lightgcnGraph(histories: readonly (readonly number[])[], items: number): ShopperItemGraph {
  const rows = histories.map((h) => [...new Set(h.filter((i) => i > 0 && i < items))]);
  const degree = new Float32Array(items);
  for (const r of rows) for (const i of r) degree[i]++;
  const edges = rows.reduce((n, r) => n + r.length, 0);
  const shopper = new Int32Array(edges);
  const item = new Int32Array(edges);
  const weight = new Float32Array(edges);
  let e = 0;
  rows.forEach((r, u) => {
    for (const i of r) {
      shopper[e] = u;
      item[e] = i;
      weight[e++] = 1 / Math.sqrt(r.length * degree[i]);
    }
  });
  return { shoppers: rows.length, items, shopper, item, weight };
}

/** A sparse matrix by its non-zero entries. */
export interface SparseMatrix {
  rows: number;
  cols: number;
  row: Int32Array;
  col: Int32Array;
  value: Float32Array;
}

/** out ([a.rows, d], zeros) += a · x ([a.cols, d]), in a plain loop over a's entries. */
function spmmInto(a: SparseMatrix, x: Float32Array, d: number, transpose: boolean): Float32Array {
  const out = new Float32Array((transpose ? a.cols : a.rows) * d);
  const [to, from] = transpose ? [a.col, a.row] : [a.row, a.col];
  for (let e = 0; e < a.value.length; e++) {
    const o = to[e] * d;
    const i = from[e] * d;
    const v = a.value[e];
    for (let k = 0; k < d; k++) out[o + k] += v * x[i + k];
  }
  return out;
}

/**
 * a · x for a sparse `a` and a dense `x` ([a.cols, d]), its gradient aᵀ · dy: plain loops over the
 * entries (TF.js has no sparse product, and the wasm backend's gather, the other way to write one,
 * takes 160 ms for the 98,000 rows of MovieLens-100k's graph where this takes a few).
 */
export function spmm(a: SparseMatrix, x: tf.Tensor2D): tf.Tensor2D {
  const d = x.shape[1];
  const product = tf.customGrad(((t: tf.Tensor2D) => ({
    value: tf.tensor2d(spmmInto(a, t.dataSync() as Float32Array, d, false), [a.rows, d]),
    gradFunc: (dy: tf.Tensor) => tf.tensor2d(spmmInto(a, dy.dataSync() as Float32Array, d, true), [a.cols, d]),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return product(x) as tf.Tensor2D;
}

/** The graph as the [shoppers, items] matrix of its edge weights. */
const graphMatrix = (g: ShopperItemGraph): SparseMatrix => ({
  rows: g.shoppers,
  cols: g.items,
  row: g.shopper,
  col: g.item,
  value: g.weight,
});

/** The graph's transpose, [items, shoppers]. */
const transposeOf = (a: SparseMatrix): SparseMatrix => ({
  rows: a.cols,
  cols: a.rows,
  row: a.col,
  col: a.row,
  value: a.value,
});

/**
 * The items' final embeddings P ([items, d]) from their base embeddings E0: the mean of the
 * 2·hops + 2 layers, of which the items' odd layers are zero (shoppers have no base embedding).
 */
export function propagate(base: tf.Tensor2D, graph: ShopperItemGraph, hops: number): tf.Tensor2D {
  const toShoppers = graphMatrix(graph);
  const toItems = transposeOf(toShoppers);
  let layer = base;
  let sum = base;
  for (let h = 0; h < hops; h++) {
    layer = spmm(toItems, spmm(toShoppers, layer));
    sum = sum.add(layer);
  }
  return sum.div(2 * hops + 2);
}

/**
 * The distinct known items of a history's last `maxLen` (indexes below `items`), newest first, each
 * with its weight: `decay` to the power of how many distinct items came after it, all over the root
 * of their sum of squares (with no decay, 1/√|H|: LightGCN's own normalisation).
 */
export function bagOf(
  h: readonly number[],
  maxLen: number,
  items: number,
  decay = 1,
): { items: number[]; weights: number[] } {
  const bag: number[] = [];
  const seen = new Set<number>();
  for (let k = h.length - 1; k >= Math.max(0, h.length - maxLen); k--) {
    const i = h[k];
    if (i > 0 && i < items && !seen.has(i)) {
      seen.add(i);
      bag.push(i);
    }
  }
  const weights = bag.map((_, r) => decay ** r);
  const norm = 1 / Math.sqrt(weights.reduce((x, w) => x + w * w, 0) || 1);
  return { items: bag, weights: weights.map((w) => w * norm) };
}

/** Each history's state, [B, dim]: its bag's weighted sum of the items' rows (zero for an empty one). */
export function encodeBags(w: SasRecWeights, c: SasRecConfig, histories: readonly (readonly number[])[]): tf.Tensor2D {
  const rows: number[] = [];
  const ids: number[] = [];
  const weights: number[] = [];
  histories.forEach((h, b) => {
    const bag = bagOf(h, c.maxLen, c.items, c.decay);
    bag.items.forEach((i, r) => {
      rows.push(b);
      ids.push(i);
      weights.push(bag.weights[r]);
    });
  });
  const bags: SparseMatrix = {
    rows: histories.length,
    cols: c.items,
    row: Int32Array.from(rows),
    col: Int32Array.from(ids),
    value: Float32Array.from(weights),
  };
  return spmm(bags, w.item_embedding as tf.Tensor2D);
}

/** A loaded model's rows read once, for `encodeBag`. */
export interface BagInference {
  readonly c: SasRecConfig;
  readonly items: Float32Array;
}

export async function prepareBagInference(w: SasRecWeights, c: SasRecConfig): Promise<BagInference> {
  return { c, items: Float32Array.from((await w.item_embedding.data()) as Float32Array) };
}

/**
 * The device's one-history state, `encodeBags`' numbers in a plain loop. An item past the model's
 * own is row `items[i] - items` of `extraRows` (the edge's row for it: the whole model's own).
 */
export function encodeBag(p: BagInference, items: readonly number[], extraRows?: Float32Array): Float32Array {
  const { c } = p;
  const d = c.dim;
  const limit = c.items + (extraRows ? Math.floor(extraRows.length / d) : 0);
  const bag = bagOf(items, c.maxLen, limit, c.decay);
  const out = new Float32Array(d);
  for (const [r, i] of bag.items.entries()) {
    const own = i < c.items;
    const table = own ? p.items : (extraRows as Float32Array);
    const row = (own ? i : i - c.items) * d;
    const s = bag.weights[r];
    for (let k = 0; k < d; k++) out[k] += table[row + k] * s;
  }
  return out;
}
