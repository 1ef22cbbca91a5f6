import { describe, expect, it } from 'vitest';
import { bloomOf, bloomReader } from './bloom';

describe('bloom sets', () => {
  it('answer every id inside, and about 1 % of ids outside, after a trip through JSON', () => {
    const inside = Array.from({ length: 5000 }, (_, i) => `item-${i}`);
    const set = JSON.parse(JSON.stringify(bloomOf(inside)));
    const has = bloomReader(set);
    expect(inside.every(has)).toBe(true);
    const outside = Array.from({ length: 20_000 }, (_, i) => `other-${i}`);
    const wrong = outside.filter(has).length / outside.length;
    expect(wrong).toBeLessThan(0.02);
    // About ten bits an id: 5,000 ids in under 9 KB of base64.
    expect(set.bits.length).toBeLessThan(9000);
  });

  it('hold nothing when empty, and read ids of any characters alike', () => {
    expect(bloomReader(bloomOf([]))('anything')).toBe(false);
    const odd = ['', 'ü', '🛒', 'a'.repeat(10_000), '\u0000'];
    expect(odd.every(bloomReader(bloomOf(odd)))).toBe(true);
  });
});
