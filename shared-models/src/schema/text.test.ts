import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { badTextPath, cleanStrings, cleanText, isCleanText, mayHoldBadText, truncateText } from './text';

/** Any UTF-16 string: lone surrogates and NULs included. */
const anyString = fc.string({ unit: 'binary' });

describe('clean text', () => {
  test.prop([anyString])('cleanText leaves text every store keeps, and keeps what was clean', (s) => {
    const clean = cleanText(s);
    expect(isCleanText(clean)).toBe(true);
    expect(() => encodeURIComponent(clean)).not.toThrow(); // throws on a lone surrogate
    if (isCleanText(s)) expect(clean).toBe(s);
  });

  test.prop([fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 60 })])(
    'truncateText never cuts a surrogate pair in two',
    (s, max) => {
      const cut = truncateText(s, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(s.startsWith(cut)).toBe(true);
      expect(isCleanText(cut)).toBe(isCleanText(s));
    },
  );

  it('cuts before an emoji that would not fit whole', () => {
    expect(truncateText(`${'x'.repeat(499)}😀`, 500)).toBe('x'.repeat(499));
    expect(truncateText(`${'x'.repeat(498)}😀`, 500)).toBe(`${'x'.repeat(498)}😀`);
  });

  it('names the first field with a NUL or a lone surrogate, a bad key at its object', () => {
    expect(badTextPath({ a: 'ok', items: [{ x: 'fine' }, { item_name: 'half \ud83d' }] })).toBe('items.1.item_name');
    expect(badTextPath({ props: { 'k\u0000': 1 } })).toBe('props');
    expect(badTextPath({ page: { url: 'https://x/😀' } })).toBeUndefined();
  });

  it('walks any depth without running out of stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(badTextPath({ events: [deep] })).toMatch(/^events\.0(\.0)+$/);
  });

  it('lets a key that cleans to one already there give way to it', () => {
    expect(cleanStrings({ 'a\u0000': 1, a: 2 })).toEqual({ a: 2 });
    expect(cleanStrings({ a: 2, 'a\u0000': 1 })).toEqual({ a: 2 });
  });

  it('cleans every string of an event in place, keys too', () => {
    const e = { page: { title: 'a\u0000b' }, props: { 'k\udc00': 'v\ud83d' } };
    expect(cleanStrings(e)).toEqual({ page: { title: 'ab' }, props: { 'k\uFFFD': 'v\uFFFD' } });
    expect(badTextPath(e)).toBeUndefined();
  });

  test.prop([fc.jsonValue()])('a JSON body can hold a bad string only where it has a \\u escape', (value) => {
    const json = JSON.stringify(value);
    if (badTextPath(value) !== undefined) expect(mayHoldBadText(new TextEncoder().encode(json))).toBe(true);
    expect(mayHoldBadText(new TextEncoder().encode(json))).toBe(mayHoldBadText(json));
  });

  it('sees \\u escapes in bytes, and not an escaped backslash before a u', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(mayHoldBadText(bytes('{"a":"\\u0000"}'))).toBe(true);
    expect(mayHoldBadText(bytes('{"a":"\\\\u0000"}'))).toBe(false);
    expect(mayHoldBadText(bytes('{"a":"\\\\\\u0000"}'))).toBe(true);
    expect(mayHoldBadText(bytes('{"a":"😀 plain"}'))).toBe(false);
  });
});
