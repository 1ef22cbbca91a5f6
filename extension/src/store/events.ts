/** @module store/events — the local history and the outbox over IndexedDB. */
import type { AisleEvent } from '../../../shared-models/src/schema/event';
import { uuid } from '../capture/ids';
import { type Db, type Meta, prune } from './db';
import { type SessionState, settleSessions } from './session';

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
  delete(key: keyof Meta): Promise<void>;
}

export interface StoreLimits {
  historyMaxAgeMs: number;
  historyMaxCount: number;
  outboxMaxAgeMs: number;
  outboxMaxCount: number;
}

export function createEventStore(db: Db): EventStore {
  return {
    async commit(events, to) {
      const tx = db.transaction(['meta', 'history', 'outbox'], 'readwrite');
      const meta = tx.objectStore('meta');
      const state = settleSessions((await meta.get('session')) as SessionState | undefined, events, uuid);
      if (state) meta.put(state, 'session');
      for (const e of events) {
        if (to.history) tx.objectStore('history').put(e);
        if (to.outbox) tx.objectStore('outbox').put(e);
      }
      await tx.done;
      return state;
    },
    peek: (limit) => db.getAllFromIndex('outbox', 'ts', null, limit),
    async remove(ids) {
      const tx = db.transaction('outbox', 'readwrite');
      for (const id of ids) tx.store.delete(id);
      await tx.done;
    },
    count: () => db.count('outbox'),
    async history(limit = 1000) {
      const out: AisleEvent[] = [];
      let cursor = await db.transaction('history').store.index('ts').openCursor(null, 'prev');
      while (cursor && out.length < limit) {
        out.push(cursor.value);
        cursor = await cursor.continue();
      }
      return out;
    },
    clear: (store) => db.clear(store),
    async prune(l) {
      await prune(db, 'history', l.historyMaxAgeMs, l.historyMaxCount);
      await prune(db, 'outbox', l.outboxMaxAgeMs, l.outboxMaxCount);
    },
    meta: {
      get: async (key) => (await db.get('meta', key)) as never,
      set: async (key, value) => {
        await db.put('meta', value, key);
      },
      delete: (key) => db.delete('meta', key),
    },
  };
}
