/**
 * @module edge-server/storage/reader — a store opened to read and nothing else: the events in
 * order and the risk flags an operator labelled, for the `aisle` CLI's `--from` (training, scoring,
 * evaluation). SQLite is opened read-only, with no writer or checkpoint thread and no migration;
 * PostgreSQL through a small pool of its own. A server may be writing the same store meanwhile.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { selectEvents as pgEvents, pgSql } from './postgres';
import { riskLabelsOver } from './risk-labels';
import { selectEvents, sqlOver } from './sqlite-rows';
import type { EventQuery, StoredEvent } from './types';

export interface EventReader {
  /** Events after `q.after` (a `seq`), oldest first, at most `q.limit` (10,000) at a time. */
  events(q?: EventQuery): Promise<StoredEvent[]>;
  /** Risk flags labelled on the dashboard: confirmed bot sessions and false alarms. */
  labels(site?: string): Promise<{ session_id: string; anonymous_id: string; label: 'confirmed' | 'false' | null }[]>;
  close(): Promise<void>;
}

/** `postgres://…` (or `postgresql://`) reads PostgreSQL; `sqlite:PATH` or a bare path reads an SQLite file that must exist. */
export function openReader(url: string): EventReader {
  if (/^postgres(ql)?:/.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => {}); // an idle client that loses its connection must not take the CLI down
    const sql = pgSql(pool);
    return {
      events: (q) => pgEvents(pool, q),
      labels: (site) => riskLabelsOver(sql).list(site),
      close: () => pool.end(),
    };
  }
  const db = new Database(url.replace(/^sqlite:/, ''), { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const { sql } = sqlOver(db);
  return {
    events: async (q) => selectEvents(db, q),
    labels: (site) => riskLabelsOver(sql).list(site),
    close: async () => {
      db.close();
    },
  };
}
