import type { NextItemScorer } from '@aisle/shared-models/models/baselines';
import { describe, expect, it } from 'vitest';
import { evaluateRanking, rankOf } from './ranking';

const fixed = (scores: number[]): NextItemScorer => ({ name: 'fixed', score: () => Float32Array.from(scores) });

describe('rankOf', () => {
  it('counts better candidates, skips the excluded and the bucket, and splits ties', () => {
    const scores = Float32Array.from([9, 5, 4, 3, 3, 3]);
    expect(rankOf(scores, 2, new Set())).toBe(1); // only item 1 is better; index 0 is never a candidate
    expect(rankOf(scores, 2, new Set([1]))).toBe(0);
    expect(rankOf(scores, 3, new Set())).toBe(3); // 1 and 2 better, two ties: one of them expected ahead
  });
});

describe('evaluateRanking', () => {
  it('gives NDCG 1 for a target ranked first and 1/log2(3) for second, 0 past k', () => {
    const model = fixed([0, 3, 2, 1]);
    const at = (target: number, k = 10) =>
      evaluateRanking(model, [{ user: 'u', history: [], historyTypes: [], target }], { k });
    expect(at(1).ndcg).toBe(1);
    expect(at(2).ndcg).toBeCloseTo(1 / Math.log2(3));
    expect(at(3, 2)).toMatchObject({ ndcg: 0, hitRate: 0, mrr: 1 / 3 });
  });

  it('excludes items already in the history from the ranking', () => {
    const model = fixed([0, 3, 2, 1]);
    expect(evaluateRanking(model, [{ user: 'u', history: [1, 2], historyTypes: [1, 1], target: 3 }]).ndcg).toBe(1);
  });

  it('counts a target the model does not know as a miss', () => {
    expect(evaluateRanking(fixed([0, 1]), [{ user: 'u', history: [], historyTypes: [], target: 0 }]).hitRate).toBe(0);
  });
});
