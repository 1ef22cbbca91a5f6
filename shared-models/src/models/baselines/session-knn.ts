/**
 * @module shared-models/models/baselines/session-knn — session-based nearest neighbours, the
 * baselines that often beat neural session models (Jannach & Ludewig, "When recurrent neural
 * networks meet the neighborhood for session-based recommendation", RecSys 2017; Ludewig, Latifi &
 * Jannach, "Empirical analysis of session-based recommendation algorithms", 2021):
 *
 * - **SKNN**: the past sessions that share items with the current one — the `sample` most recent of
 *   them — scored by cosine similarity of their item sets; an item's score is the summed similarity
 *   of the `k` nearest sessions that hold it.
 * - **V-SKNN**: the same, the current session a vector whose later items weigh more (`linear`: the
 *   p-th of L weighs p / L; `div`: 1 / (L − p + 1)), the similarity the sum of the shared items'
 *   weights; optionally each item's score weighted by its inverse session frequency (`idf`, as
 *   session-rec does: times 1 + idf · log(N / n)). Not here: session-rec's decay of a neighbour's
 *   items by their distance from the shared one (`weighting_score`).
 *
 * Past sessions are given oldest first (their index is their recency). Items no neighbour holds are
 * ranked by popularity, far below any neighbour's item.
 */
import { itemCounts } from './popularity';
import type { NextItemScorer } from './types';

export interface SessionKnnConfig {
  /** Nearest sessions whose items are scored. */
  k?: number;
  /** Most recent sessions sharing an item with the current one, among which the nearest are sought. */
  sample?: number;
  /** `cosine` (SKNN) or a weighted overlap by position in the current session (V-SKNN). */
  weighting?: 'cosine' | 'linear' | 'div';
  /** V-SKNN: an item's score times 1 + idf · log(sessions / sessions holding it), as session-rec weighs it (0: none). */
  idf?: number;
  /** The current session's last items read (a long history is a user, not a session). */
  window?: number;
}

const TIE_BREAK = 1e-6;

/** The neighbour index: each item's sessions, most recent first, and each session's distinct items. */
export function sessionIndex(sessions: readonly (readonly number[])[], size: number) {
  const distinct = sessions.map((s) => Int32Array.from(new Set(s.filter((i) => i > 0 && i < size))));
  const counts = new Int32Array(size);
  for (const s of distinct) for (const i of s) counts[i]++;
  const starts = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) starts[i + 1] = starts[i] + counts[i];
  const holders = new Int32Array(starts[size]);
  const fill = starts.slice(0, size);
  // Newest session first in each item's list: the sample is then a prefix.
  for (let n = distinct.length - 1; n >= 0; n--) for (const i of distinct[n]) holders[fill[i]++] = n;
  return { distinct, counts, starts, holders };
}

export type SessionIndex = ReturnType<typeof sessionIndex>;

export function fitSessionKnn(
  sessions: readonly (readonly number[])[],
  size: number,
  { k = 100, sample = 1000, weighting = 'cosine', idf = 0, window = 50 }: SessionKnnConfig = {},
  index: SessionIndex = sessionIndex(sessions, size),
): NextItemScorer {
  const popular = itemCounts(sessions, size);
  // Where no neighbour reaches: popularity, far below any neighbour's item.
  const floor = Float32Array.from(popular, (p, j) => (j ? TIE_BREAK * p : 0));
  const { distinct, counts, starts, holders } = index;
  const idfOf = Float32Array.from(counts, (c) =>
    weighting !== 'cosine' && c ? 1 + idf * Math.log(distinct.length / c) : 1,
  );
  const weight = new Float64Array(distinct.length);
  const seen = new Int32Array(distinct.length).fill(-1);
  let turn = 0;
  return {
    name: weighting === 'cosine' ? 'sknn' : 'v-sknn',
    score(history) {
      turn++;
      const recent = history.slice(-Math.max(1, window));
      // Each distinct item once, at its latest position.
      const at = new Map<number, number>();
      recent.forEach((i, p) => {
        if (i > 0 && i < size) at.set(i, p);
      });
      const length = recent.length;
      let found = 0;
      const candidates = new Int32Array(Math.min(distinct.length, at.size * sample));
      for (const [item, p] of at) {
        const w = weighting === 'linear' ? (p + 1) / length : weighting === 'div' ? 1 / (length - p) : 1;
        // Each item's sessions newest first: a session among the `sample` most recent of all
        // candidates is among the first `sample` of every list it is in, with all its weight.
        const end = Math.min(starts[item + 1], starts[item] + sample);
        for (let h = starts[item]; h < end; h++) {
          const n = holders[h];
          if (seen[n] !== turn) {
            seen[n] = turn;
            weight[n] = 0;
            candidates[found++] = n;
          }
          weight[n] += w;
        }
      }
      // The most recent `sample` of them (a higher index is a later session).
      const pool = candidates.subarray(0, found).sort().reverse().subarray(0, sample);
      const similarity = (n: number) =>
        weighting === 'cosine' ? weight[n] / Math.sqrt(at.size * distinct[n].length) : weight[n];
      const nearest = Array.from(pool, (n) => ({ n, s: similarity(n) }))
        .sort((a, b) => b.s - a.s || b.n - a.n)
        .slice(0, k);
      const scores = floor.slice();
      for (const { n, s } of nearest) for (const i of distinct[n]) scores[i] += s * idfOf[i];
      return scores;
    },
  };
}
