/** @module shared-models/models/baselines/popularity — the most interacted-with items first: the cold-start answer. */
import type { NextItemScorer } from './types';

/** How often each item occurs in `sequences`, scaled to at most 1. */
export function itemCounts(sequences: readonly (readonly number[])[], size: number): Float32Array {
  const counts = new Float32Array(size);
  for (const s of sequences) for (const i of s) counts[i]++;
  counts[0] = 0;
  let max = 0;
  for (const c of counts) max = Math.max(max, c);
  if (max > 0) for (let i = 0; i < size; i++) counts[i] /= max;
  return counts;
}

export function fitPopularity(sequences: readonly (readonly number[])[], size: number): NextItemScorer {
  const popular = itemCounts(sequences, size);
  return { name: 'popularity', score: () => popular.slice() };
}
