/** @module store — the shopper's IndexedDB: chunked local history and outbox, and per-browser state. */

export { SESSION_IDLE_MS, type SessionState, settleSessions } from '@aisle/shared-models/schema/sessions';
export { DB_NAME, type Meta, openShopperDb, shopperDb } from './db';
export { createEventStore, type EventStore, type OutboxStore, type StoreLimits } from './events';
export { createMemoryStore } from './memory';
