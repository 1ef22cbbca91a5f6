/** @module store/db — the shopper's IndexedDB: local history, the outbox, and a little state. */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { AisleEvent } from '../../../shared-models/src/schema/event';

/** Per-browser state kept next to the events. */
export interface Meta {
  ids: { anonymous_id: string; user_id?: string };
  session: { session_id: string; last_ts: number };
  consent: { analytics: boolean; personalization: boolean; ts: number };
}

export interface ShopperDB extends DBSchema {
  /** Everything captured with personalisation consent, bounded by age and count. */
  history: { key: string; value: AisleEvent; indexes: { ts: number } };
  /** Events waiting for the server's acknowledgement (analytics consent only). */
  outbox: { key: string; value: AisleEvent; indexes: { ts: number } };
  meta: { key: keyof Meta; value: Meta[keyof Meta] };
}

export type Db = IDBPDatabase<ShopperDB>;

export const DB_NAME = 'aisle';

/** Opens (and, on first use, creates) the database. Migrations go in as `if (oldVersion < N)` steps. */
export function openShopperDb(name = DB_NAME): Promise<Db> {
  return openDB<ShopperDB>(name, 1, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('history', { keyPath: 'event_id' }).createIndex('ts', 'ts');
        db.createObjectStore('outbox', { keyPath: 'event_id' }).createIndex('ts', 'ts');
        db.createObjectStore('meta');
      }
    },
  });
}

/** Deletes events older than `maxAgeMs`, then the oldest until at most `maxCount` remain. */
export async function prune(db: Db, store: 'history' | 'outbox', maxAgeMs: number, maxCount: number, now = Date.now()) {
  const tx = db.transaction(store, 'readwrite');
  const index = tx.store.index('ts');
  let cursor = await index.openCursor(IDBKeyRange.upperBound(now - maxAgeMs, true));
  while (cursor) {
    await cursor.delete();
    cursor = await cursor.continue();
  }
  let excess = (await tx.store.count()) - maxCount;
  cursor = excess > 0 ? await index.openCursor() : null;
  while (cursor && excess-- > 0) {
    await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}
