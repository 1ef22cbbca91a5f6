/** @module store/db — the shopper's IndexedDB: local history, the outbox, and a little state. */

import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { base64url } from '@aisle/shared-models/schema/ids';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import { DB_NAME } from './name';

/** Per-browser state kept next to the events. */
export interface Meta {
  ids: { anonymous_id: string; user_id?: string };
  session: { session_id: string; last_ts: number };
  consent: { analytics: boolean; personalization: boolean; ts: number };
  /**
   * This browser's secret: its anonymous id is derived from it, and it reads and erases what the
   * server holds (`/v1/me`). `erase`: earlier secrets whose erasure the server has not confirmed
   * yet; `proved`: user ids proved with the merchant's signature.
   */
  device: { secret: string; erase?: string[]; proved?: string[] };
  /** The last session this device sent a risk flag for: a session is flagged to the shop once. */
  risk: { session_id: string };
}

/**
 * The browser's record as this version keeps it, from what an earlier version kept (the ids it had
 * bound and an erasure due): the same secret, so the server still knows the ids it bound then; an
 * erasure still due is asked for with it, and a new secret starts afresh. Undefined when there is none.
 */
export function upgradeDevice(stored: unknown): Meta['device'] | undefined {
  const old = stored as { secret?: unknown; bound?: unknown; eraseDue?: unknown } | undefined;
  if (typeof old?.secret !== 'string') return undefined;
  if (!('bound' in old)) return old as Meta['device'];
  if (!old.eraseDue) return { secret: old.secret };
  const fresh = crypto.getRandomValues(new Uint8Array(32));
  return { secret: base64url(fresh), erase: [old.secret] };
}

/**
 * Events are stored in chunks, one record per write: IndexedDB's cost is mostly per request, and
 * a page writes events in bursts. The key `[ts of the oldest event, chunk id, event count]` sorts
 * chunks oldest first and lets counts be read from keys alone, without loading any event.
 */
export type ChunkKey = [ts: number, id: string, count: number];

export interface ShopperDB extends DBSchema {
  /** Everything captured with personalisation consent, bounded by age and count. */
  history: { key: ChunkKey; value: AisleEvent[] };
  /** Events waiting for the server's acknowledgement (analytics consent only). */
  outbox: { key: ChunkKey; value: AisleEvent[] };
  meta: { key: keyof Meta; value: Meta[keyof Meta] };
}

export type Db = IDBPDatabase<ShopperDB>;

export { DB_NAME } from './name';

const VERSION = 1;
const STORES = ['history', 'outbox', 'meta'] as const;

/**
 * Version 1: chunked history and outbox (out-of-line keys) and meta. Later versions add
 * `if (oldVersion < N)` steps. Creating only what is missing keeps this safe on any version.
 */
function upgrade(db: Db, _oldVersion: number) {
  for (const name of STORES) if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
}

/**
 * Opens (and, on first use, creates) the database. A database of this name without our stores
 * (made by another script, or half made) is repaired by opening it one version higher.
 */
export async function openShopperDb(name = DB_NAME, onBlocking: () => void = () => {}): Promise<Db> {
  // Another tab (a newer script) asks for a higher version: step aside at once, so its upgrade never
  // waits on this tab; the next use here opens the database again, at its new version.
  let db: Db | undefined;
  const blocking = () => {
    db?.close();
    onBlocking();
  };
  try {
    db = await openDB<ShopperDB>(name, VERSION, { upgrade, blocking });
  } catch (err) {
    // Repaired to a higher version on an earlier visit: open it at whatever version it has.
    if ((err as DOMException)?.name !== 'VersionError') throw err;
    db = await openDB<ShopperDB>(name, undefined, { blocking });
  }
  if (STORES.every((s) => db?.objectStoreNames.contains(s))) return db;
  const next = db.version + 1;
  db.close();
  db = await openDB<ShopperDB>(name, next, { upgrade, blocking });
  return db;
}

/** The database, opened on first use and again after it stepped aside for another tab's upgrade. */
export function shopperDb(name = DB_NAME): () => Promise<Db> {
  let current: Promise<Db> | undefined;
  return () => {
    current ??= openShopperDb(name, () => {
      current = undefined;
    });
    return current;
  };
}

/** Deletes chunks older than `maxAgeMs`, then the oldest until at most about `maxCount` events remain. */
export async function prune(db: Db, store: 'history' | 'outbox', maxAgeMs: number, maxCount: number, now = Date.now()) {
  const tx = db.transaction(store, 'readwrite');
  // [cutoff] sorts before every [cutoff, id, n]: this range is exactly the chunks older than the cutoff.
  await tx.store.delete(IDBKeyRange.upperBound([now - maxAgeMs], true));
  const keys = await tx.store.getAllKeys();
  let kept = 0;
  for (let i = keys.length - 1; i >= 0; i--) {
    kept += keys[i][2];
    if (kept > maxCount) await tx.store.delete(keys[i]);
  }
  await tx.done;
}
