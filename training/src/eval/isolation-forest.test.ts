import { random } from '@aisle/shared-models/util/random';
import { describe, expect, it } from 'vitest';
import { isolationForest } from './isolation-forest';

describe('the isolation forest', () => {
  it('scores a far-off row above every row of a Gaussian cloud, the same way from the same seed', () => {
    const rnd = random(3);
    const n = 1000;
    const x = new Float64Array((n + 1) * 2);
    for (let i = 0; i < n * 2; i++) x[i] = rnd() + rnd() + rnd();
    x[n * 2] = 8;
    x[n * 2 + 1] = -5;
    const scores = isolationForest(x, n + 1, 2, { seed: 5 }).score(x, n + 1);
    const normal = Array.from(scores.slice(0, n));
    expect(scores[n]).toBeGreaterThan(Math.max(...normal));
    expect(scores[n]).toBeGreaterThan(0.6);
    expect(normal.reduce((s, v) => s + v, 0) / n).toBeLessThan(0.5);
    expect(isolationForest(x, n + 1, 2, { seed: 5 }).score(x, n + 1)).toEqual(scores);
  });
});
