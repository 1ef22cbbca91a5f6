/**
 * @module edge-server/storage/sqlite-rows — how an event becomes a row of the SQLite `events`
 * table and back, and the transaction that inserts a batch of rows. Shared by the store's own
 * connection and its writer thread, so both write exactly the same rows.
 */
import type Database from 'better-sqlite3';
import type { AisleEvent } from '../../../shared-models/src/schema/event';

export const COLUMNS = 'event_id, site, type, ts, anonymous_id, session_id, user_id, received_at, payload';
/** Values per row, in `COLUMNS` order. */
export const WIDTH = 9;
const ROW = `(${Array(WIDTH).fill('?').join(', ')})`;
/** Rows per INSERT statement: one call into SQLite per chunk instead of one per event. */
const CHUNK = 50;

export interface EventRow {
  seq: number;
  site: string;
  received_at: number;
  event_id: string;
  type: string;
  ts: number;
  anonymous_id: string;
  session_id: string;
  user_id: string | null;
  payload: string;
}

/** The event back from its columns and its payload (the other fields; the whole event in rows from before migration 2). */
export function toEvent(r: EventRow): AisleEvent {
  const { event_id, type, ts, anonymous_id, session_id, user_id } = r;
  return {
    event_id,
    type,
    ts,
    anonymous_id,
    session_id,
    ...(user_id === null ? {} : { user_id }),
    ...JSON.parse(r.payload),
  };
}

/** The row values of a batch, flat: the columns of each event, then its remaining fields as JSON. */
export function rowValues(site: string, events: readonly AisleEvent[], receivedAt: number): unknown[] {
  const values: unknown[] = [];
  for (const e of events) {
    const { event_id, type, ts, anonymous_id, session_id, user_id = null, ...rest } = e;
    values.push(event_id, site, type, ts, anonymous_id, session_id, user_id, receivedAt, JSON.stringify(rest));
  }
  return values;
}

/** A transaction that inserts flat row values, skipping event ids already stored, and returns how many rows were new. */
export function rowInserter(db: Database.Database): (values: unknown[]) => number {
  const chunk = db.prepare(`INSERT OR IGNORE INTO events (${COLUMNS}) VALUES ${Array(CHUNK).fill(ROW).join(', ')}`);
  const one = db.prepare(`INSERT OR IGNORE INTO events (${COLUMNS}) VALUES ${ROW}`);
  const insert = db.transaction((values: unknown[]) => {
    const rows = values.length / WIDTH;
    let accepted = 0;
    let i = 0;
    for (; i + CHUNK <= rows; i += CHUNK) accepted += chunk.run(values.slice(i * WIDTH, (i + CHUNK) * WIDTH)).changes;
    for (; i < rows; i++) accepted += one.run(values.slice(i * WIDTH, (i + 1) * WIDTH)).changes;
    return accepted;
  });
  // BEGIN IMMEDIATE: take the write lock first, waiting (busy_timeout) for another writer or a
  // checkpoint to finish, rather than fail when a read snapshot cannot become a write.
  return (values) => insert.immediate(values);
}

/** The connection settings every connection to the store uses. */
export function configure(db: Database.Database) {
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // 64 MiB of page cache instead of the default 2 MiB: the indexes of a busy store stay in memory.
  db.pragma('cache_size = -65536');
  // A log that grew under load is cut back to 64 MiB once it starts over.
  db.pragma('journal_size_limit = 67108864');
  db.pragma('foreign_keys = ON');
}
