import { describe, expect, it } from 'vitest';
import { type ContentTable, contentScores, priceBand, priceBandEdges, recentPresence } from './content';

describe('the content signal', () => {
  it('cuts prices into quartile bands, 0 for an unknown price', () => {
    const edges = priceBandEdges([10, 20, 30, 40, 50, 60, 70, 80, Number.NaN]);
    expect(edges).toEqual([20, 40, 60]);
    expect([5, 20, 21, 45, 99, Number.NaN].map((p) => priceBand(p, edges))).toEqual([1, 1, 2, 3, 4, 0]);
  });

  it('scores cold items of the categories and bands the shopper looks at, well-known ones hardly', () => {
    // Items 1–2 in category 1, items 3–4 in category 2; item 2 and 4 are cold.
    const table: ContentTable = {
      category: Int32Array.from([0, 1, 1, 2, 2]),
      band: Int32Array.from([0, 1, 1, 2, 2]),
      coldness: Float32Array.from([0, 0.05, 1, 0.05, 1]),
    };
    const scores = contentScores(table, [3, 1], 0.5);
    // The latest item (1) weighs 1, the one before (3) 0.5.
    expect(scores[2]).toBeCloseTo(1.5);
    expect(scores[4]).toBeCloseTo(0.75);
    expect(scores[1]).toBeLessThan(0.1);
  });

  it('weighs a history item by how recently and how often it came', () => {
    expect(Array.from(recentPresence([2, 1, 2], 0.5, 4))).toEqual([0, 0.5, 1.25, 0]);
  });
});
