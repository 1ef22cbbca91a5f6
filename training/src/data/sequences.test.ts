import { describe, expect, it } from 'vitest';
import type { Interaction } from './interchange';
import { leaveLastOrderOut } from './sequences';

const line = (user: string, item: string, day: number): Interaction => ({
  user_id: user,
  item_id: item,
  type: 'purchase',
  ts: Date.UTC(2011, 0, day),
});

describe('the split by orders', () => {
  it('predicts the first line of the last order after every order before it, never from the same order', () => {
    const split = leaveLastOrderOut([
      line('a', 'x', 1),
      line('a', 'y', 1),
      line('a', 'z', 5),
      line('a', 'x', 9),
      line('a', 'w', 9),
      line('b', 'x', 2),
      line('b', 'y', 2),
    ]);
    const id = (i: number) => split.vocabulary.ids[i];
    expect(split.test).toHaveLength(1);
    const [test] = split.test;
    expect(test.history.map(id)).toEqual(['x', 'y', 'z']);
    expect(id(test.target)).toBe('x');
    expect(split.valid[0].history.map(id)).toEqual(['x', 'y']);
    expect(id(split.valid[0].target)).toBe('z');
    // Training: a's first order only; b (one order) whole.
    expect(split.train.map((t) => t.map(id))).toEqual([
      ['x', 'y'],
      ['x', 'y'],
    ]);
  });
});
