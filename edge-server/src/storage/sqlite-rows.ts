/**
 * @module edge-server/storage/sqlite-rows — how an event becomes a row of the SQLite `events`
 * table and back, and the transaction that inserts a batch of rows. Shared by the store's own
 * connection and its writer thread, so both write exactly the same rows.
 */

import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type Database from 'better-sqlite3';
import type { Sql } from './sql';
import type { EventQuery, StoredEvent } from './types';

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
/** Events of the store in `seq` order (newest first with `q.newest`), from any connection, read-only ones too. */
export function selectEvents(db: Database.Database, q: EventQuery = {}): StoredEvent[] {
  const where = ['seq > ?'];
  const args: (string | number)[] = [q.after ?? 0];
  if (q.site) {
    where.push('site = ?');
    args.push(q.site);
  }
  for (const column of ['type', 'anonymous_id', 'session_id'] as const) {
    const value = q[column];
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    args.push(value);
  }
  args.push(Math.min(10_000, q.limit ?? 1000));
  const rows = db
    .prepare<(string | number)[], EventRow>(
      `SELECT seq, ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY seq${q.newest ? ' DESC' : ''} LIMIT ?`,
    )
    .all(...args);
  return rows.map((r) => ({ seq: r.seq, site: r.site, received_at: r.received_at, event: toEvent(r) }));
}

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

/**
 * Inserts flat row values on the caller's transaction, skipping event ids already stored (and
 * repeats within the values); returns the ids of the rows that were new, in order.
 */
export function rowWriter(db: Database.Database): (values: unknown[]) => string[] {
  const insert = `INSERT OR IGNORE INTO events (${COLUMNS}) VALUES`;
  const chunk = db.prepare(`${insert} ${Array(CHUNK).fill(ROW).join(', ')} RETURNING event_id`).pluck();
  const one = db.prepare(`${insert} ${ROW} RETURNING event_id`).pluck();
  return (values) => {
    const rows = values.length / WIDTH;
    const ids: string[] = [];
    let i = 0;
    for (; i + CHUNK <= rows; i += CHUNK)
      ids.push(...(chunk.all(values.slice(i * WIDTH, (i + CHUNK) * WIDTH)) as string[]));
    for (; i < rows; i++) ids.push(...(one.all(values.slice(i * WIDTH, (i + 1) * WIDTH)) as string[]));
    return ids;
  };
}

/** A transaction that inserts flat row values, skipping event ids already stored, and returns how many rows were new. */
export function rowInserter(db: Database.Database): (values: unknown[]) => number {
  const write = rowWriter(db);
  const insert = db.transaction((values: unknown[]) => write(values).length);
  // BEGIN IMMEDIATE: take the write lock first, waiting (busy_timeout) for another writer or a
  // checkpoint to finish, rather than fail when a read snapshot cannot become a write.
  return (values) => insert.immediate(values);
}

/**
 * The minimal SQL the shared stores (registry, rollups, …) run on, over one connection: prepared
 * statements cached by text, and one transaction at a time (the next waits for the one before).
 */
export function sqlOver(db: Database.Database): { sql: Sql; statement: (text: string) => Database.Statement } {
  const statements = new Map<string, Database.Statement>();
  const statement = (text: string) => {
    let st = statements.get(text);
    if (!st) {
      st = db.prepare(text);
      statements.set(text, st);
    }
    return st;
  };
  let queue: Promise<unknown> = Promise.resolve();
  const sql: Sql = {
    all: async <T>(text: string, params: unknown[] = []) => statement(text).all(...params) as T[],
    run: async (text, params = []) => {
      statement(text).run(...params);
    },
    transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const run = queue.then(async () => {
        // IMMEDIATE: the write lock first (waiting out the other connection), not a failed upgrade later.
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(sql);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
      queue = run.catch(() => {});
      return run;
    },
  };
  return { sql, statement };
}

/**
 * Page size of a new store. An event row is some 300 bytes and every batch appends hundreds to
 * the table and its indexes: with 16 KiB pages instead of SQLite's 4 KiB a 500-event commit costs
 * a quarter less (measured, `npm run bench -- ingest`). A store keeps the page size it was created with.
 */
export const PAGE_SIZE = 16_384;

/** The connection settings every connection to the store uses. */
export function configure(db: Database.Database) {
  // Only possible before the first write; the first connection to a new store sets it.
  if (db.pragma('page_count', { simple: true }) === 0) db.pragma(`page_size = ${PAGE_SIZE}`);
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
