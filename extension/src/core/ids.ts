/** @module capture/ids — UUIDs and on-device hashing. */

import { sha256Hex } from '@aisle/shared-models/schema/ids';

/** Event and session ids: version 7 UUIDs, so the server indexes them at the cheap end. */
export { uuidv7 as uuid } from '@aisle/shared-models/schema/ids';

/**
 * SHA-256 of `salt:value` in hex. The site key salts it so one shopper's id cannot be joined
 * across stores. Resolves to null where SubtleCrypto is missing (insecure pages): better no
 * user id than a raw one leaving the device.
 */
export async function hashId(value: string, salt: string): Promise<string | null> {
  return crypto.subtle ? sha256Hex(`${salt}:${value.trim()}`) : null;
}

/** A stable number in [0, 1) for an id (FNV-1a): the same shopper lands in the same group on every page. */
export function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}
