/** @module shared-models/models/baselines/types — what every next-item ranker offers. */

/**
 * Scores every item of a vocabulary for the next interaction after `history` (item indexes, oldest
 * first). Higher is better; index 0, the out-of-vocabulary bucket, is never recommended.
 */
export interface NextItemScorer {
  readonly name: string;
  /** `types`: the event type index of each history item, for models that use it. */
  score(history: readonly number[], types?: readonly number[]): Float32Array;
  /** Many histories at once, where batching is faster (a neural model); same results as `score`. */
  scoreBatch?(histories: readonly (readonly number[])[], types: readonly (readonly number[])[]): Float32Array[];
}
