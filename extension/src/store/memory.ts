/** @module store/memory — the event store in memory, for browsers where IndexedDB is blocked (some private modes). */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { type SessionState, settleSessions } from '@aisle/shared-models/schema/sessions';
import { uuid } from '../core/ids';
import type { Meta } from './db';
import type { EventStore } from './events';

/** Same contract as the IndexedDB store; nothing survives the page, and the outbox still syncs. */
export function createMemoryStore(): EventStore {
  let session: SessionState | undefined;
  let history: AisleEvent[] = [];
  const outbox = new Map<string, AisleEvent>();
  const meta = new Map<keyof Meta, unknown>();
  const byTs = () => [...outbox.values()].sort((a, b) => a.ts - b.ts);
  return {
    async commit(events, to) {
      session = settleSessions(session, events, uuid);
      if (to.history) history.push(...events);
      if (to.outbox) for (const e of events) outbox.set(e.event_id, e);
      return session;
    },
    peek: async (limit) => byTs().slice(0, limit),
    async remove(ids) {
      for (const id of ids) outbox.delete(id);
    },
    count: async () => outbox.size,
    history: async (limit = 1000) => history.slice(-limit).reverse(),
    async clear(store) {
      if (store === 'history') history = [];
      else outbox.clear();
    },
    async prune(l) {
      const now = Date.now();
      history = history.filter((e) => now - e.ts < l.historyMaxAgeMs).slice(-l.historyMaxCount);
      const kept = byTs()
        .filter((e) => now - e.ts < l.outboxMaxAgeMs)
        .slice(-l.outboxMaxCount);
      outbox.clear();
      for (const e of kept) outbox.set(e.event_id, e);
    },
    meta: {
      get: async (key) => meta.get(key) as never,
      set: async (key, value) => {
        meta.set(key, value);
      },
      delete: async (key) => {
        meta.delete(key);
      },
      init: async (key, value) => {
        if (!meta.has(key)) meta.set(key, value);
        return meta.get(key) as never;
      },
    },
  };
}
