/** @module sync/engine — the storage-and-sync side of capture: the IndexedDB store and the outbox, behind one interface. */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type { SessionState } from '@aisle/shared-models/schema/sessions';
import { createLogger, type Logger, type LogLevel } from '../core/logger';
import { type Meta, shopperDb } from '../store/db';
import { createEventStore, type EventStore, type StoreLimits } from '../store/events';
import { createMemoryStore } from '../store/memory';
import { createOutbox, type FlushResult } from './outbox';

export interface EngineConfig {
  endpoint: string;
  site: string;
  batchSize: number;
  limits: StoreLimits;
  logLevel: LogLevel;
}

/** Where a batch of events goes: the local history, the outbox, or both. */
export interface Destinations {
  history: boolean;
  outbox: boolean;
}

/**
 * Everything the tracker asks of storage and sync. It runs in a dedicated worker where the page
 * allows one, so IndexedDB and network work stay off the page's main thread; every method is
 * async so that the same interface serves over postMessage.
 */
export interface Engine {
  storage: 'indexeddb' | 'memory';
  commit(events: AisleEvent[], to: Destinations): Promise<SessionState | undefined>;
  history(limit?: number): Promise<AisleEvent[]>;
  count(): Promise<number>;
  clear(store: 'history' | 'outbox'): Promise<void>;
  metaGet<K extends keyof Meta>(key: K): Promise<Meta[K] | undefined>;
  metaSet<K extends keyof Meta>(key: K, value: Meta[K]): Promise<void>;
  /** The stored value, or `value`, stored now when there was none: one transaction, so two tabs starting at once keep the same. */
  metaInit<K extends keyof Meta>(key: K, value: Meta[K]): Promise<Meta[K]>;
  metaDelete(key: keyof Meta): Promise<void>;
  /** With `keepalive` (the page is being hidden and may be closed) requests may outlive the page. */
  flush(options?: { keepalive?: boolean }): Promise<void>;
  schedule(delayMs: number): Promise<void>;
}

/** Some private modes leave indexedDB.open pending forever; give up after this and keep events in memory. */
const OPEN_TIMEOUT_MS = 5000;

export interface EngineHooks {
  onResult?: (result: FlushResult) => void;
  logger?: Logger;
  fetch?: typeof fetch;
  /** The IndexedDB database (default `aisle-shopper`); the extension keeps one per store. */
  dbName?: string;
}

export async function createEngine(config: EngineConfig, hooks: EngineHooks = {}): Promise<Engine> {
  const logger = hooks.logger ?? createLogger(config.logLevel);
  let store: EventStore;
  let storage: Engine['storage'] = 'indexeddb';
  try {
    const open = shopperDb(hooks.dbName);
    await Promise.race([
      open(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('IndexedDB did not open in time')), OPEN_TIMEOUT_MS),
      ),
    ]);
    store = createEventStore(open);
  } catch (cause) {
    logger.log('warn', 'IndexedDB unavailable; events are kept in memory for this page only', cause);
    store = createMemoryStore();
    storage = 'memory';
  }
  const outbox = createOutbox({
    endpoint: config.endpoint,
    site: config.site,
    batchSize: config.batchSize,
    store,
    logger,
    fetch: hooks.fetch,
    locks: (globalThis.navigator as Navigator | undefined)?.locks,
    onResult: hooks.onResult,
  });
  void store.prune(config.limits).catch((cause) => logger.log('warn', 'could not prune stored events', cause));
  return {
    storage,
    commit: (events, to) => store.commit(events, to),
    history: (limit) => store.history(limit),
    count: () => store.count(),
    clear: (which) => store.clear(which),
    metaGet: (key) => store.meta.get(key),
    metaSet: (key, value) => store.meta.set(key, value),
    metaInit: (key, value) => store.meta.init(key, value),
    metaDelete: (key) => store.meta.delete(key),
    flush: (options) => outbox.flush(options),
    schedule: async (delayMs) => outbox.schedule(delayMs),
  };
}
