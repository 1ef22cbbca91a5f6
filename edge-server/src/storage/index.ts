/** @module edge-server/storage — picks the adapter from a URL: `postgres://…` or an SQLite file path. */
import { openPostgres } from './postgres';
import { openSqlite } from './sqlite';
import type { Storage } from './types';

export type { EventQuery, InsertResult, Site, Stats, Storage, StoredEvent } from './types';
export { openPostgres, openSqlite };

/** `postgres://` or `postgresql://` URLs open PostgreSQL; `sqlite:PATH` or a bare path opens SQLite. */
export function openStorage(url: string): Storage {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres({ connectionString: url });
  return openSqlite(url.replace(/^sqlite:/, ''));
}
