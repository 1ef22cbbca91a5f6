/** @module shared-models/models/baselines/types — what every next-item ranker offers. */

/**
 * Scores every item of a vocabulary for the next interaction after `history` (item indexes, oldest
 * first). Higher is better; index 0, the out-of-vocabulary bucket, is never recommended.
 */
export interface NextItemScorer {
  readonly name: string;
  score(history: readonly number[]): Float32Array;
}
