import { describe, expect, it } from 'vitest';
import { topByKey } from './engine';

describe('topByKey', () => {
  it('keeps the m best that pass, best first, ties to the earlier index', () => {
    const scores = [9, 5, 7, 7, 1, 8, 7];
    const top = topByKey(
      scores.length,
      (j) => scores[j],
      (j) => j !== 0,
      4,
    );
    expect(top.map((t) => t.j)).toEqual([5, 2, 3, 6]);
  });

  it('gives everything when m is larger than what passes', () => {
    const top = topByKey(
      5,
      (j) => -j,
      () => true,
      100,
    );
    expect(top.map((t) => t.j)).toEqual([0, 1, 2, 3, 4]);
  });
});
