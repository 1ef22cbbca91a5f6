/**
 * @module shared-models/util/bloom — a set of ids that travels small: a Bloom filter (about ten bits
 * an id, about 1 % of ids outside it answered as inside, never one inside answered as outside),
 * written as base64 in a manifest and read the same in Node, the extension and the storefront.
 */

/** A Bloom filter as a manifest carries it: its bits (base64) and how many bits each id sets. */
export interface BloomSet {
  bits: string;
  hashes: number;
}

/** Bits per id and hashes per id: about a 1 % false-positive rate. */
const BITS_PER_ID = 10;
const HASHES = 7;

/** Two 32-bit hashes of `id` (FNV-1a, then a murmur finaliser of it, made odd), for double hashing. */
function hashes(id: string): [number, number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  let g = h ^ 0x9e3779b9;
  g = Math.imul(g ^ (g >>> 16), 0x85ebca6b);
  g = Math.imul(g ^ (g >>> 13), 0xc2b2ae35);
  return [h >>> 0, ((g ^ (g >>> 16)) | 1) >>> 0];
}

/** The filter's bit positions for `id` among `size` bits. */
function* positions(id: string, size: number, count: number) {
  const [h, g] = hashes(id);
  for (let i = 0; i < count; i++) yield ((h + Math.imul(i, g)) >>> 0) % size;
}

/** The bytes of a filter of `count` ids: at least 64, so that one of a handful is not as wrong as a full one. */
const bloomBytes = (count: number) => Math.max(64, Math.ceil((count * BITS_PER_ID) / 8));

/** The length of the base64 `bits` of a filter of `count` ids. */
export const bloomTextLength = (count: number) => 4 * Math.ceil(bloomBytes(count) / 3);

/** A filter holding `ids`. */
export function bloomOf(ids: Iterable<string>): BloomSet {
  const list = [...new Set(ids)];
  const bytes = new Uint8Array(bloomBytes(list.length));
  const size = bytes.length * 8;
  for (const id of list) for (const p of positions(id, size, HASHES)) bytes[p >>> 3] |= 1 << (p & 7);
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return { bits: btoa(text), hashes: HASHES };
}

/** A test of membership for `set`, its bits decoded once. */
export function bloomReader(set: BloomSet): (id: string) => boolean {
  const text = atob(set.bits);
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  const size = bytes.length * 8;
  return (id) => {
    for (const p of positions(id, size, set.hashes)) if (!(bytes[p >>> 3] & (1 << (p & 7)))) return false;
    return true;
  };
}
