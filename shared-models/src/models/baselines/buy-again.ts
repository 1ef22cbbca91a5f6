/**
 * @module shared-models/models/baselines/buy-again — what a shop of repeat buyers shows first: the
 * shopper's own items again, the most often bought first and, among equals, the latest; the shop's
 * popular items after them. Only meaningful where seen items may be recommended.
 */
import { itemCounts } from './popularity';
import type { NextItemScorer } from './types';

export function fitBuyAgain(sequences: readonly (readonly number[])[], size: number): NextItemScorer {
  const popular = itemCounts(sequences, size);
  return {
    name: 'buy-again',
    score(history) {
      // Popularity (at most 1) only orders what the shopper never had: any item of theirs scores 2 or more.
      const scores = popular.slice();
      history.forEach((item, i) => {
        scores[item] = Math.max(scores[item], 1) + 1 + i / (history.length * history.length);
      });
      scores[0] = 0;
      return scores;
    },
  };
}
