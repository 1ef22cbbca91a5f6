import { describe, expect, it } from 'vitest';
import { cleanSearchTerm, toFields, toItem, toItems } from './normalize';

describe('toItem', () => {
  it('reads GA4 items and Universal Analytics ones', () => {
    expect(toItem({ item_id: 'A', item_name: 'Boot', price: '89.95', quantity: '2' })).toEqual({
      item_id: 'A',
      item_name: 'Boot',
      price: 89.95,
      quantity: 2,
    });
    expect(toItem({ id: 42, name: 'Hat', category: 'Hats' })).toEqual({
      item_id: '42',
      item_name: 'Hat',
      item_category: 'Hats',
    });
  });

  it('drops items without an id and values of the wrong kind', () => {
    expect(toItem({ item_name: 'No id' })).toBeNull();
    expect(toItem('A')).toBeNull();
    expect(toItem({ item_id: 'A', price: 'call us', item_name: { x: 1 } })).toEqual({ item_id: 'A' });
  });

  it('truncates over-long text to the schema limit', () => {
    expect(toItem({ item_id: 'A', item_name: 'x'.repeat(900) })?.item_name).toHaveLength(500);
  });

  it('caps a list at 200 items', () => {
    expect(toItems(Array.from({ length: 300 }, (_, i) => ({ item_id: String(i) })))).toHaveLength(200);
  });
});

describe('toFields', () => {
  it('maps GA4 params to fields and keeps unknown primitives in props when asked', () => {
    const f = toFields({ value: 10, currency: 'eur', transaction_id: 'T', colour: 'red', nested: { a: 1 } }, true);
    expect(f).toEqual({ value: 10, currency: 'EUR', transaction_id: 'T', props: { colour: 'red' } });
  });

  it('ignores unknown params from the dataLayer', () => {
    expect(toFields({ 'gtm.uniqueEventId': 7, value: 1, currency: 'USD' }, false)).toEqual({
      value: 1,
      currency: 'USD',
    });
  });

  it('turns a lone item_id into an item', () => {
    expect(toFields({ item_id: 'SKU-1', method: 'link' }, false)).toEqual({
      items: [{ item_id: 'SKU-1' }],
      method: 'link',
    });
  });
});

describe('cleanSearchTerm', () => {
  it('keeps the term as typed, trimmed', () => {
    expect(cleanSearchTerm('  red   trail shoes ')).toBe('red trail shoes');
  });

  it('masks e-mail addresses and card numbers pasted into the search box', () => {
    expect(cleanSearchTerm('order for jane@example.com')).toBe('order for [email]');
    expect(cleanSearchTerm('4242 4242 4242 4242')).toBe('[number]');
  });

  it('drops empty terms', () => {
    expect(cleanSearchTerm('   ')).toBeUndefined();
    expect(cleanSearchTerm(undefined)).toBeUndefined();
  });
});
