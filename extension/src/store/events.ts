/** @module store/events — the local history and the outbox over IndexedDB. */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { type SessionState, settleSessions } from '@aisle/shared-models/schema/sessions';
import { uuid } from '../core/ids';
import { type ChunkKey, type Db, type Meta, prune, upgradeDevice } from './db';

/** What the sync layer needs from the outbox; `createOutbox` takes any implementation of it. */
export interface OutboxStore {
  /** The oldest `limit` events, oldest first. */
  peek(limit: number): Promise<AisleEvent[]>;
  remove(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
}

export interface EventStore extends OutboxStore {
  /**
   * Writes events to the history and/or the outbox in one transaction and settles their session
   * ids against what other tabs wrote. Resolves to the session state after them.
   */
  commit(events: AisleEvent[], to: { history: boolean; outbox: boolean }): Promise<SessionState | undefined>;
  /** The local history, newest first. */
  history(limit?: number): Promise<AisleEvent[]>;
  clear(store: 'history' | 'outbox'): Promise<void>;
  prune(limits: StoreLimits): Promise<void>;
  meta: MetaStore;
}

/** Small per-browser state: ids, the session, the consent choice. */
export interface MetaStore {
  get<K extends keyof Meta>(key: K): Promise<Meta[K] | undefined>;
  set<K extends keyof Meta>(key: K, value: Meta[K]): Promise<void>;
  /** The stored value, or `value`, stored now when there was none, in one transaction. */
  init<K extends keyof Meta>(key: K, value: Meta[K]): Promise<Meta[K]>;
  delete(key: keyof Meta): Promise<void>;
}

export interface StoreLimits {
  historyMaxAgeMs: number;
  historyMaxCount: number;
  outboxMaxAgeMs: number;
  outboxMaxCount: number;
}

/** The number of events in a store, from chunk keys alone. */
async function countEvents(db: Db, store: 'history' | 'outbox') {
  return (await db.getAllKeys(store)).reduce((n, key) => n + key[2], 0);
}

/** The history and the outbox over `open`, which gives the database (opened again after it stepped aside). */
export function createEventStore(open: () => Promise<Db>): EventStore {
  // Which chunk each event handed out by the last peek came from.
  const peeked = new Map<string, ChunkKey>();
  return {
    async commit(events, to) {
      const tx = (await open()).transaction(['meta', 'history', 'outbox'], 'readwrite');
      const meta = tx.objectStore('meta');
      const state = settleSessions((await meta.get('session')) as SessionState | undefined, events, uuid);
      if (state) meta.put(state, 'session');
      if (events.length) {
        const key: ChunkKey = [events[0].ts, uuid(), events.length];
        if (to.history) tx.objectStore('history').put(events, key);
        if (to.outbox) tx.objectStore('outbox').put(events, key);
      }
      await tx.done;
      return state;
    },
    async peek(limit) {
      const out: AisleEvent[] = [];
      peeked.clear();
      let cursor = await (await open()).transaction('outbox').store.openCursor();
      while (cursor && out.length < limit) {
        const events = cursor.value.slice(0, limit - out.length);
        for (const e of events) peeked.set(e.event_id, cursor.key);
        out.push(...events);
        cursor = await cursor.continue();
      }
      return out;
    },
    async remove(ids) {
      // Group by the chunk each event was peeked from: a chunk removed whole is deleted by key, unread.
      const byChunk = new Map<string, { key: ChunkKey; ids: Set<string> }>();
      const unknown = new Set<string>();
      for (const id of ids) {
        const key = peeked.get(id);
        if (!key) {
          unknown.add(id);
          continue;
        }
        const group = byChunk.get(key[1]) ?? { key, ids: new Set<string>() };
        byChunk.set(key[1], group.ids.add(id) && group);
      }
      const tx = (await open()).transaction('outbox', 'readwrite');
      const dropFrom = async (key: ChunkKey, events: AisleEvent[] | undefined, gone: Set<string>) => {
        if (!events) return;
        const kept = events.filter((e) => !gone.has(e.event_id));
        if (gone === unknown) for (const e of events) unknown.delete(e.event_id);
        if (kept.length === events.length) return;
        await tx.store.delete(key);
        if (kept.length) await tx.store.put(kept, [key[0], key[1], kept.length]);
      };
      for (const { key, ids: gone } of byChunk.values()) {
        if (gone.size === key[2]) await tx.store.delete(key);
        else await dropFrom(key, await tx.store.get(key), gone);
      }
      // Ids this store never handed out (another tab peeked them): look for them from the front.
      if (unknown.size) {
        for (const key of await tx.store.getAllKeys()) {
          if (!unknown.size) break;
          await dropFrom(key, await tx.store.get(key), unknown);
        }
      }
      await tx.done;
      for (const id of ids) peeked.delete(id);
    },
    count: async () => countEvents(await open(), 'outbox'),
    async history(limit = 1000) {
      const out: AisleEvent[] = [];
      let cursor = await (await open()).transaction('history').store.openCursor(null, 'prev');
      while (cursor && out.length < limit) {
        for (let i = cursor.value.length - 1; i >= 0 && out.length < limit; i--) out.push(cursor.value[i]);
        cursor = await cursor.continue();
      }
      return out;
    },
    clear: async (store) => (await open()).clear(store),
    async prune(l) {
      await prune(await open(), 'history', l.historyMaxAgeMs, l.historyMaxCount);
      await prune(await open(), 'outbox', l.outboxMaxAgeMs, l.outboxMaxCount);
    },
    meta: {
      get: async (key) => {
        const value = await (await open()).get('meta', key);
        return (key === 'device' ? upgradeDevice(value) : value) as never;
      },
      async init(key, value) {
        const tx = (await open()).transaction('meta', 'readwrite');
        const found = await tx.store.get(key);
        const kept = (key === 'device' ? upgradeDevice(found) : found) ?? value;
        if (kept !== found) await tx.store.put(kept, key);
        await tx.done;
        return kept as never;
      },
      set: async (key, value) => {
        await (await open()).put('meta', value, key);
      },
      delete: async (key) => (await open()).delete('meta', key),
    },
  };
}
