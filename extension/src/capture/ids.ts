/** @module capture/ids — UUIDs and on-device hashing. */

/**
 * A version 4 UUID. `crypto.randomUUID` exists only in secure contexts, and some stores still
 * serve pages over plain HTTP, so fall back to `getRandomValues`, which exists everywhere.
 */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * SHA-256 of `salt:value` in hex. The site key salts it so one shopper's id cannot be joined
 * across stores. Resolves to null where SubtleCrypto is missing (insecure pages): better no
 * user id than a raw one leaving the device.
 */
export async function hashId(value: string, salt: string): Promise<string | null> {
  if (!crypto.subtle) return null;
  const bytes = new TextEncoder().encode(`${salt}:${value.trim()}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('');
}
