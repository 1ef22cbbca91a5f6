/**
 * @module shared-models/models/baselines/markov — first-order Markov chain: what followed the
 * shopper's last item, most often first; popularity breaks ties and answers for unseen items.
 */
import { itemCounts } from './popularity';
import type { NextItemScorer } from './types';

/** Weight of popularity next to transition probabilities (at most 1 each): small enough to only break ties. */
const TIE_BREAK = 1e-3;

export function fitMarkov(sequences: readonly (readonly number[])[], size: number): NextItemScorer {
  const popular = itemCounts(sequences, size);
  const next = new Map<number, Map<number, number>>();
  for (const s of sequences) {
    for (let k = 1; k < s.length; k++) {
      if (!s[k - 1] || !s[k]) continue;
      const row = next.get(s[k - 1]) ?? new Map<number, number>();
      next.set(s[k - 1], row);
      row.set(s[k], (row.get(s[k]) ?? 0) + 1);
    }
  }
  return {
    name: 'markov',
    score(history) {
      const scores = new Float32Array(size);
      for (let j = 1; j < size; j++) scores[j] = TIE_BREAK * popular[j];
      const row = next.get(history.at(-1) ?? 0);
      if (row) {
        let total = 0;
        for (const n of row.values()) total += n;
        for (const [j, n] of row) scores[j] += n / total;
      }
      return scores;
    },
  };
}
