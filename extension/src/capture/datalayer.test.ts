import { describe, expect, it } from 'vitest';
import { readEntry } from './datalayer';

describe('readEntry', () => {
  it('reads GA4 pushes, merging ecommerce and top-level params', () => {
    expect(readEntry({ event: 'purchase', ecommerce: { value: 5, currency: 'EUR' }, user_tier: 'gold' })).toEqual([
      'purchase',
      { event: 'purchase', ecommerce: { value: 5, currency: 'EUR' }, value: 5, currency: 'EUR', user_tier: 'gold' },
    ]);
    expect(readEntry({ event: 'search', search_term: 'boots' })?.[1].search_term).toBe('boots');
  });

  it("reads gtag('event', ...) calls, which push their arguments object", () => {
    const args = (function (..._a: unknown[]) {
      // biome-ignore lint/complexity/noArguments: gtag pushes exactly this object
      return arguments;
    })('event', 'add_to_cart', { items: [{ item_id: 'A' }] });
    expect(readEntry(args)).toEqual(['add_to_cart', { items: [{ item_id: 'A' }] }]);
  });

  it('ignores GTM internals, page views, clears and junk', () => {
    for (const entry of [
      { event: 'gtm.js' },
      { event: 'page_view' },
      { ecommerce: null },
      null,
      7,
      'x',
      ['config', 'G-1'],
    ]) {
      expect(readEntry(entry)).toBeNull();
    }
  });
});
