/** @module shared-models/schema/ids — event ids that databases can index cheaply. */

/** Lower-case hex of bytes. */
export const hex = (bytes: Uint8Array) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

/** SHA-256 of bytes, or of a string's UTF-8 (Web Crypto, in browsers and Node alike). */
export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** SHA-256 in lower-case hex: a shard's content address, a hashed user id. */
export const sha256Hex = async (data: Uint8Array | string) => hex(await sha256(data));

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids made close
 * in time sort close together, so the server's deduplication index grows at its right edge
 * instead of touching a random page per event — measured at twice the insert rate of v4 ids
 * once the table holds a few hundred thousand events. Uses Web Crypto, present in browsers
 * (secure or not) and in Node.
 */
export function uuidv7(now: number = Date.now()): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let ms = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Bytes as base64url, without padding. */
export const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/**
 * The anonymous id a device's secret stands for on a site: the first 24 bytes of
 * SHA-256(`aisle:anonymous-id:SITE:SECRET`), base64url (32 characters). The device computes it to
 * stamp its events, the server to know which events a secret may read and erase: the id says
 * nothing of the secret, so knowing an id (or the site key) never proves it is one's own.
 */
export async function deviceAnonymousId(secret: string, site: string): Promise<string> {
  return base64url((await sha256(`aisle:anonymous-id:${site}:${secret}`)).subarray(0, 24));
}
