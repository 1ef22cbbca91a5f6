/**
 * @module shared-models/schema/text — the one rule for text that every store can keep.
 *
 * A NUL (U+0000) or an unpaired UTF-16 surrogate (half an emoji) is a valid JavaScript string and
 * valid JSON, yet PostgreSQL's `jsonb` and `text` refuse it and no UTF-8 encoder can write it. So
 * the device cleans its own strings before they leave it (`cleanText`, `truncateText` never cuts a
 * pair in two), and the server refuses any event or input that still carries one (`badTextPath`),
 * the same way on SQLite and PostgreSQL, naming the field.
 */

/** In a `u` regex a lone surrogate is its own code point; a well-formed pair is one astral code point. */
const BAD = /[\0\uD800-\uDFFF]/u;
const BAD_ALL = /[\0\uD800-\uDFFF]/gu;

export const BAD_TEXT_MESSAGE = 'contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored';

/** True when `s` holds neither a NUL nor an unpaired surrogate. */
export const isCleanText = (s: string): boolean => !BAD.test(s);

/** `s` without NULs, each unpaired surrogate replaced by U+FFFD (as `String.prototype.toWellFormed`). */
export const cleanText = (s: string): string =>
  BAD.test(s) ? s.replace(BAD_ALL, (c) => (c === '\0' ? '' : '\uFFFD')) : s;

/** At most `max` UTF-16 units of `s`, never ending in the first half of a surrogate pair. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * `value` with every string in it (keys too) made clean text by `cleanText`, in place where it is
 * an object or an array: what the storefront script does to an event before it keeps or sends it.
 * A key that cleans to one already there gives way to it.
 */
export function cleanStrings<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const v = cleanStrings(o[key]);
    const k = cleanText(key);
    if (k === key) o[k] = v;
    else {
      delete o[key];
      if (!Object.hasOwn(o, k)) o[k] = v;
    }
  }
  return value;
}

/**
 * The dotted path of the first string in `value` (a key of an object too) that is not clean text,
 * or undefined when there is none. A bad key is reported at its object's path. Walked with a stack
 * of its own, not by recursion: a body may nest as deep as it likes and still get its 4xx.
 */
export function badTextPath(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  while (stack.length) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      if (BAD.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, i)]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [key] of entries) if (BAD.test(key)) return path;
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], join(path, entries[i][0])]);
    }
  }
  return undefined;
}

/**
 * Whether JSON text could hold such a string at all. Raw control characters are not allowed in a
 * JSON string and a strict UTF-8 decoder refuses an encoded surrogate, so a NUL or a lone surrogate
 * can only arrive as a `\u` escape: a body without one needs no walk (what `JSON.stringify` in a
 * browser sends, unless it escaped exactly these characters).
 */
export function mayHoldBadText(json: Uint8Array | string): boolean {
  const bytes = typeof json === 'string' ? undefined : json;
  const text = typeof json === 'string' ? json : undefined;
  const next = (from: number) => (bytes ? bytes.indexOf(0x5c, from) : (text as string).indexOf('\\', from));
  const at = (i: number) => (bytes ? bytes[i] : (text as string).charCodeAt(i));
  // Each escape is a backslash and one character (`\\`, `\"`, `\n`, …), or `\u` and four digits.
  for (let i = next(0); i >= 0 && i < json.length - 1; i = next(i + 2)) {
    if (at(i + 1) === 0x75) return true;
  }
  return false;
}
