import { describe, expect, it } from 'vitest';
import { fitBuyAgain, fitItemKnn, fitMarkov, fitPopularity, fitSessionKnn } from '.';

const top = (scores: Float32Array, exclude: number[] = []) => {
  let best = 0;
  for (let j = 1; j < scores.length; j++)
    if (!exclude.includes(j) && (best === 0 || scores[j] > scores[best])) best = j;
  return best;
};

describe('next-item baselines', () => {
  // Items 1→2→3→4 always in that order; item 5 is in every history and more besides: the most popular.
  const chains = [...Array.from({ length: 20 }, () => [5, 1, 2, 3, 4]), ...Array.from({ length: 10 }, () => [5])];
  const size = 7;

  it('popularity ranks the most frequent item first, the bucket never', () => {
    const scores = fitPopularity(chains, size).score([]);
    expect(top(scores)).toBe(5);
    expect(scores[0]).toBe(0);
  });

  it('Markov follows what came after the last item', () => {
    const markov = fitMarkov(chains, size);
    expect(top(markov.score([1]))).toBe(2);
    expect(top(markov.score([1, 2, 3]))).toBe(4);
    // An item never seen before falls back to popularity.
    expect(top(markov.score([6]))).toBe(5);
  });

  it('item-kNN recommends what the same shoppers had, and leans on the most recent item', () => {
    const pairs = [
      ...Array.from({ length: 10 }, () => [1, 2]),
      ...Array.from({ length: 10 }, () => [3, 4]),
      ...Array.from({ length: 30 }, () => [5]),
    ];
    const knn = fitItemKnn(pairs, size, { decay: 0.5 });
    expect(top(knn.score([1]), [1])).toBe(2);
    expect(top(knn.score([1, 3]), [1, 3])).toBe(4);
    expect(top(knn.score([3, 1]), [1, 3])).toBe(2);
    expect(knn.neighbours[1].items[0]).toBe(2);
    expect(knn.neighbours[1].similarity[0]).toBeCloseTo(1);
  });

  it('buy-again ranks the shopper’s own items first, the most bought then the latest, the shop’s popular after', () => {
    const again = fitBuyAgain(chains, size);
    const scores = again.score([3, 1, 3, 2]);
    const order = [...scores.keys()].filter((j) => j > 0).sort((a, b) => scores[b] - scores[a]);
    expect(order.slice(0, 3)).toEqual([3, 2, 1]);
    // Then what the shopper never had, by popularity: 5 first.
    expect(order[3]).toBe(5);
    expect(scores[0]).toBe(0);
  });

  it('SKNN ranks the items of the past sessions most like the current one; V-SKNN weighs its latest items most', () => {
    // Oldest first. 1 went with 3, 2 with 4; item 6 is the most popular, in sessions of its own.
    const sessions = [[6], [6], [6], [1, 3], [2, 4], [6]];
    const sknn = fitSessionKnn(sessions, 7, { k: 10, sample: 100 });
    expect(top(sknn.score([1]), [1])).toBe(3);
    // With no neighbour at all, popularity.
    expect(top(sknn.score([5]))).toBe(6);
    // The session [1, 2]: both neighbours alike by cosine; V-SKNN leans on 2, the later item.
    const vsknn = fitSessionKnn(sessions, 7, { k: 10, sample: 100, weighting: 'linear' });
    expect(top(vsknn.score([1, 2]), [1, 2])).toBe(4);
    expect(top(fitSessionKnn(sessions, 7, { k: 10, sample: 100, weighting: 'div' }).score([2, 1]), [1, 2])).toBe(3);
    const both = sknn.score([1, 2]);
    expect(both[3]).toBe(both[4]);
  });

  it('session-kNN looks only at the most recent sessions it samples, and at most k of them', () => {
    // Item 1 went with 3 long ago and with 4 lately.
    const sessions = [
      [1, 3],
      [1, 3],
      [1, 3],
      [1, 4],
    ];
    expect(top(fitSessionKnn(sessions, 5, { k: 10, sample: 100 }).score([1]), [1])).toBe(3);
    expect(top(fitSessionKnn(sessions, 5, { k: 10, sample: 1 }).score([1]), [1])).toBe(4);
    // k = 1: the nearest only, the newest among equals.
    expect(top(fitSessionKnn(sessions, 5, { k: 1, sample: 100 }).score([1]), [1])).toBe(4);
  });
});
