import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../test/helpers/events';
import { EventSchema, tsError } from './event';
import { acceptsFast, validateBatch, validateEvent } from './validate';

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

describe('the compiled fast path', () => {
  /** A small seeded generator, so that a disagreement found once is found again. */
  function random(seed: number) {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const odd = [
    '',
    ' ',
    'x'.repeat(101),
    'x'.repeat(2049),
    '😀'.repeat(60),
    '😀'.repeat(70),
    'EUR',
    'eur',
    'Not Snake',
    'a_b',
    'a/b',
    0,
    -1,
    1.5,
    1e13,
    Number.POSITIVE_INFINITY, // what JSON.parse makes of 1e400
    Number.NEGATIVE_INFINITY,
    { n: Number.POSITIVE_INFINITY },
    Date.now(),
    true,
    null,
    [],
    [{}],
    {},
    { item_id: 'A' },
    Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
  ];

  /** Props values as JSON.parse can make them: 1e400 is Infinity. */
  const propValue = fc.oneof(
    fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN),
    fc.double(),
    fc.string(),
    fc.boolean(),
  );
  test.prop([fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), propValue, { maxKeys: 4 })], { numRuns: 300 })(
    'agrees with Zod on any props, infinite and NaN numbers included',
    (props) => {
      const e = makeEvent({ type: 'like', props });
      expect(acceptsFast(e, Date.now())).toBe(EventSchema.safeParse(e).success);
    },
  );

  it('accepts exactly what the Zod schema accepts, on thousands of mutated events', () => {
    const next = random(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
    const now = Date.now();
    let fast = 0;
    for (let n = 0; n < 4000; n++) {
      const e: Record<string, unknown> = JSON.parse(
        JSON.stringify(
          makeEvent(
            pick([
              {},
              { type: 'purchase', value: 12, currency: 'EUR', transaction_id: 'T1' },
              { type: 'search', search_term: 'boots', items: undefined },
              { type: 'review', rating: 4, props: { text: 'fine' } },
              { type: 'user_engagement', engagement_ms: 1200, scroll_depth: 50, items: undefined },
            ]),
          ),
        ),
      );
      for (let m = Math.floor(next() * 3); m > 0; m--) {
        const target = next() < 0.3 && Array.isArray(e.items) && e.items.length ? e.items[0] : e;
        const keys = Object.keys(target);
        const key =
          next() < 0.2
            ? `extra_${m}`
            : next() < 0.5
              ? pick(keys)
              : pick(['value', 'currency', 'user_id', 'props', 'page', 'rating', 'ts']);
        if (next() < 0.25) delete target[key];
        else target[key] = pick(odd);
      }
      const zod = EventSchema.safeParse(e);
      const expected = zod.success && !tsError(zod.data.ts, now);
      const accepted = acceptsFast(e, now);
      if (accepted !== expected) throw new Error(`fast path says ${accepted}, Zod ${expected}: ${JSON.stringify(e)}`);
      expect(validateEvent(e, now).errors.length === 0).toBe(expected);
      if (accepted) fast++;
    }
    // Both verdicts are well represented, so agreement means something.
    expect(fast).toBeGreaterThan(800);
    expect(fast).toBeLessThan(3200);
  });
});
