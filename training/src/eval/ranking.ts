/**
 * @module training/eval/ranking — next-item metrics with full ranking: the target is ranked against
 * every item of the catalogue (never a sample of negatives), items already in the history excluded
 * (so a target already in it is a miss, as it would be in the recommendations) unless asked not to.
 */
import type { NextItemScorer } from '@aisle/shared-models/models/baselines';
import type { NextItemCase } from '../data/sequences';

export interface RankingMetrics {
  /** Normalised discounted cumulative gain at `k`: 1 / log2(rank + 2) when the target is in the top k. */
  ndcg: number;
  /** Share of cases whose target is in the top k. */
  hitRate: number;
  /** Mean reciprocal rank, over the whole ranking. */
  mrr: number;
  /** Mean reciprocal rank counting only the top 20 (a target below is 0): the session-based field's MRR@20. */
  mrr20: number;
  k: number;
  cases: number;
}

/**
 * The target's 0-based rank among the candidates: items scored higher, plus half of those tied
 * with it (the expected place under random tie-breaking). Index 0 and `excluded` are not candidates.
 */
export function rankOf(scores: Float32Array, target: number, excluded: ReadonlySet<number>): number {
  const s = scores[target];
  let higher = 0;
  let tied = 0;
  for (let j = 1; j < scores.length; j++) {
    if (j === target || excluded.has(j)) continue;
    if (scores[j] > s) higher++;
    else if (scores[j] === s) tied++;
  }
  return higher + Math.floor(tied / 2);
}

export function evaluateRanking(
  scorer: NextItemScorer,
  cases: readonly NextItemCase[],
  { k = 10, excludeSeen = true }: { k?: number; excludeSeen?: boolean } = {},
): RankingMetrics {
  let ndcg = 0;
  let hits = 0;
  let mrr = 0;
  let mrr20 = 0;
  const BATCH = 256;
  for (let start = 0; start < cases.length; start += BATCH) {
    const chunk = cases.slice(start, start + BATCH);
    const scores = scorer.scoreBatch
      ? scorer.scoreBatch(
          chunk.map((c) => c.history),
          chunk.map((c) => c.historyTypes),
        )
      : chunk.map((c) => scorer.score(c.history, c.historyTypes));
    chunk.forEach((c, i) => {
      // An item unknown to the model (index 0) cannot be ranked: a miss.
      if (!c.target) return;
      const seen = excludeSeen ? new Set(c.history) : new Set<number>();
      // Excluding seen items, a target the shopper already had is never recommended: a miss too.
      if (seen.has(c.target)) return;
      const rank = rankOf(scores[i], c.target, seen);
      mrr += 1 / (rank + 1);
      if (rank < 20) mrr20 += 1 / (rank + 1);
      if (rank < k) {
        hits++;
        ndcg += 1 / Math.log2(rank + 2);
      }
    });
  }
  const n = cases.length || 1;
  return { ndcg: ndcg / n, hitRate: hits / n, mrr: mrr / n, mrr20: mrr20 / n, k, cases: cases.length };
}
