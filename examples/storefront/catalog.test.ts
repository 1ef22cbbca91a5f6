import { describe, expect, it } from 'vitest';
import { PRODUCTS } from './catalog';

describe('the demo catalogue', () => {
  it('names every product differently, so a card says which one it is', () => {
    expect(new Set(PRODUCTS.map((p) => p.name)).size).toBe(PRODUCTS.length);
    expect(PRODUCTS.length).toBe(300);
  });
});
