/**
 * @module shared-models/models/baselines/item-knn — item-to-item collaborative filtering: items
 * that the same shoppers interacted with, by cosine similarity, weighted towards the shopper's most
 * recent items. The strongest classic baseline for next-item recommendation on small catalogues.
 */
import { itemCounts } from './popularity';
import type { NextItemScorer } from './types';

export interface ItemKnnConfig {
  /** Neighbours kept per item. Default 200. */
  neighbours?: number;
  /** Weight of the k-th most recent distinct item in the history: `decay ** k`. Default 0.9. */
  decay?: number;
}

const TIE_BREAK = 1e-6;

export interface ItemKnn extends NextItemScorer {
  /** Each item's neighbours (indexes) and their similarities, most similar first. */
  readonly neighbours: readonly { items: Int32Array; similarity: Float32Array }[];
}

/**
 * Adds to `scores` the similarity of every item to the history's distinct items, the most recent
 * weighted 1, the one before `decay`, then `decay²`, …. A neighbour index of 0 ends a row early.
 */
export function addNeighbourScores(
  scores: Float32Array,
  history: readonly number[],
  decay: number,
  row: (item: number) => { items: ArrayLike<number>; similarity: ArrayLike<number> },
): Float32Array {
  const seen = new Set<number>();
  let weight = 1;
  for (let k = history.length - 1; k >= 0; k--) {
    const i = history[k];
    if (!i || seen.has(i)) continue;
    seen.add(i);
    const { items, similarity } = row(i);
    for (let n = 0; n < items.length && items[n]; n++) scores[items[n]] += weight * similarity[n];
    weight *= decay;
  }
  return scores;
}

type Table = { items: Int32Array; similarity: Float32Array }[];

/** Catalogues up to this size count co-occurrences in one dense matrix (64 MiB at most); larger ones per item. */
const DENSE_UP_TO = 4096;

/**
 * Every item's neighbours by cosine over the binary shopper × item matrix (co-occurrences divided
 * by the square root of the two items' shopper counts), most similar first.
 */
export function similarityTable(sequences: readonly (readonly number[])[], size: number): Table {
  const shoppers = new Float64Array(size);
  const sets = sequences.map((s) => [...new Set(s)].filter((i) => i > 0));
  for (const items of sets) for (const i of items) shoppers[i]++;
  const rows: Map<number, number>[] = Array.from({ length: size }, () => new Map());
  if (size <= DENSE_UP_TO) {
    const dense = new Float32Array(size * size);
    for (const items of sets) {
      for (const a of items) {
        const base = a * size;
        for (const b of items) dense[base + b]++;
      }
    }
    for (let i = 1; i < size; i++) {
      for (let j = 1; j < size; j++) if (i !== j && dense[i * size + j]) rows[i].set(j, dense[i * size + j]);
    }
  } else {
    for (const items of sets) {
      for (const a of items) {
        const row = rows[a];
        for (const b of items) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
  }
  return rows.map((row, i) => {
    const pairs = [...row].map(([j, n]) => [j, n / Math.sqrt(shoppers[i] * shoppers[j])] as const);
    pairs.sort((x, y) => y[1] - x[1]);
    return { items: Int32Array.from(pairs, (p) => p[0]), similarity: Float32Array.from(pairs, (p) => p[1]) };
  });
}

export function fitItemKnn(
  sequences: readonly (readonly number[])[],
  size: number,
  { neighbours = 200, decay = 0.9 }: ItemKnnConfig = {},
  /** A table already computed for these sequences, to try several settings without recounting. */
  precomputed?: Table,
): ItemKnn {
  const popular = itemCounts(sequences, size);
  const table = (precomputed ?? similarityTable(sequences, size)).map(({ items, similarity }) => ({
    items: items.subarray(0, neighbours),
    similarity: similarity.subarray(0, neighbours),
  }));
  return {
    name: 'item-knn',
    neighbours: table,
    score(history) {
      const scores = new Float32Array(size);
      for (let j = 1; j < size; j++) scores[j] = TIE_BREAK * popular[j];
      return addNeighbourScores(scores, history, decay, (i) => table[i]);
    },
  };
}
