import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../test/helpers/events';
import { validateBatch, validateEvent } from './validate';

const errorsOf = (input: unknown) => validateEvent(input).errors;

describe('validateEvent', () => {
  it('accepts a GA4 view_item with its item', () => {
    expect(errorsOf(makeEvent())).toEqual([]);
  });

  it('accepts a purchase with value, currency, transaction and items', () => {
    const purchase = makeEvent({ type: 'purchase', value: 179.9, currency: 'EUR', transaction_id: 'ORD-1' });
    expect(errorsOf(purchase)).toEqual([]);
  });

  it('accepts custom snake_case event types with free-form props', () => {
    expect(
      errorsOf(makeEvent({ type: 'size_guide_open', items: undefined, props: { size: 'M', open: true } })),
    ).toEqual([]);
  });

  it('names each missing required field', () => {
    const paths = errorsOf({ type: 'page_view' }).map((e) => `${e.path}: ${e.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'event_id: is required',
        'ts: is required',
        'anonymous_id: is required',
        'session_id: is required',
      ]),
    );
  });

  it('refuses an event_id that is not a UUID', () => {
    expect(errorsOf(makeEvent({ event_id: '123' })).map((e) => e.path)).toEqual(['event_id']);
  });

  it('refuses timestamps in seconds and from the far future', () => {
    expect(errorsOf(makeEvent({ ts: Math.floor(Date.now() / 1000) }))[0].path).toBe('ts');
    expect(errorsOf(makeEvent({ ts: Date.now() + 3 * 86_400_000 }))[0].path).toBe('ts');
  });

  it('refuses unknown top-level fields, naming them', () => {
    const [error] = errorsOf(makeEvent({ colour: 'red' }));
    expect(error.message).toContain('colour');
  });

  it('requires items on item events, a term on search, and currency with value', () => {
    expect(errorsOf(makeEvent({ items: [] }))[0]).toMatchObject({ path: 'items' });
    expect(errorsOf(makeEvent({ type: 'search', items: undefined }))[0]).toMatchObject({ path: 'search_term' });
    expect(errorsOf(makeEvent({ type: 'add_to_cart', value: 10 }))[0]).toMatchObject({ path: 'currency' });
  });

  it('points into items by index', () => {
    const e = makeEvent({ items: [{ item_id: 'A' }, { item_id: 'B', price: 'cheap' as unknown as number }] });
    expect(errorsOf(e)[0].path).toBe('items.1.price');
  });

  it('refuses event names that are not snake_case', () => {
    expect(errorsOf(makeEvent({ type: 'Add To Cart' }))[0].path).toBe('type');
  });
});

describe('validateBatch', () => {
  it('keeps the valid events of a mixed batch and indexes the rejected ones', () => {
    const batch = [makeEvent(), { nonsense: true }, makeEvent(), 'a string', null];
    const result = validateBatch(batch);
    expect(result.valid).toHaveLength(2);
    expect(result.validIndexes).toEqual([0, 2]);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 3, 4]);
    expect(result.overLong).toEqual([]);
  });

  it('singles out strings over their limit', () => {
    const result = validateBatch([makeEvent(), makeEvent({ search_term: 'x'.repeat(201), type: 'search' })]);
    expect(result.overLong).toEqual([{ index: 1, errors: [expect.objectContaining({ path: 'search_term' })] }]);
  });
});
