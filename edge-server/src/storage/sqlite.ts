/** @module edge-server/storage/sqlite — the embedded default: one file, WAL, one process. */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations';
import { batchFold, DETAILED_TYPES, rollupsOver } from './rollups';
import { configure, rowInserter, rowValues, selectEvents, sqlOver } from './sqlite-rows';
import { startWriter, type Writer } from './sqlite-writer';
import { storesOver } from './stores';
import type { EventQuery, Site, Stats, Storage } from './types';

/** Opens (creating if needed) an SQLite store at `file`, or in memory for `:memory:`. */
/**
 * What the rollups read of each event, as arrays (no object per row): the columns, the group, and
 * the payload of `DETAILED_TYPES` only (value, currency, items, props), which JavaScript decodes.
 */
const DETAILED = DETAILED_TYPES.map((t) => `'${t}'`).join(', ');
const ROLLUP_READ = `SELECT seq, site, received_at, type, ts, anonymous_id, session_id,
  json_extract(payload, '$.group'),
  CASE WHEN type IN (${DETAILED}) THEN event_id END,
  CASE WHEN type IN (${DETAILED}) THEN payload END
  FROM events WHERE seq > ? ORDER BY seq LIMIT ?`;
type RollupRow = [
  seq: number,
  site: string,
  received_at: number,
  type: string,
  ts: number,
  anonymous_id: string,
  session_id: string,
  group: 'treatment' | 'control' | null,
  event_id: string | null,
  payload: string | null,
];

/** `events` with each event id once (its first occurrence); the same array when none repeats. */
function onceEach(events: readonly AisleEvent[]): readonly AisleEvent[] {
  const seen = new Set<string>();
  for (const e of events) seen.add(e.event_id);
  if (seen.size === events.length) return events;
  return events.filter((e) => seen.delete(e.event_id));
}

export function openSqlite(file: string): Storage {
  const created = file !== ':memory:' && !existsSync(file);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // The store holds every site's events and secrets: its owner's alone (its log files follow it).
  if (created) chmodSync(file, 0o600);
  configure(db);
  // Batches are written on a thread of their own once it runs. Until then, for an in-memory store
  // (which no other connection can open), and if the thread fails, they are written on this connection.
  let writer: Writer | undefined;
  const started =
    file === ':memory:'
      ? undefined
      : startWriter(file, (error) => {
          console.error(`aisle: SQLite writer thread failed, writing on the main thread: ${error.message}`);
          writer = undefined;
        }).then(
          (w) => {
            writer = w;
          },
          (error: Error) =>
            console.error(`aisle: no SQLite writer thread, writing on the main thread: ${error.message}`),
        );
  // Rate-limit counters live in memory: an SQLite store has exactly one edge node.
  const hits = new Map<string, number>();
  let hitsWindow = 0;
  let statements: ReturnType<typeof prepare> | undefined;

  function prepare() {
    return {
      insertRows: rowInserter(db),
      getSite: db.prepare<[string], { key: string; name: string; origins: string; created_at: number }>(
        'SELECT key, name, origins, created_at FROM sites WHERE key = ?',
      ),
      putSite: db.prepare(
        `INSERT INTO sites (key, name, origins, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET name = excluded.name, origins = excluded.origins`,
      ),
    };
  }
  const s = () => {
    statements ??= prepare();
    return statements;
  };
  const toSite = (r: { key: string; name: string; origins: string; created_at: number }): Site => ({
    ...r,
    origins: JSON.parse(r.origins),
  });

  const { sql, statement } = sqlOver(db);

  return {
    kind: 'sqlite',
    ...storesOver(sql),
    rollups: rollupsOver(sql, 'sqlite', async (after, limit) => {
      return (statement(ROLLUP_READ).raw().all(after, limit) as RollupRow[]).map(
        ([seq, site, received_at, type, ts, anonymous_id, session_id, group, event_id, payload]) => {
          const detail = payload ? (JSON.parse(payload) as Partial<AisleEvent>) : undefined;
          return {
            seq,
            site,
            received_at,
            event: {
              event_id: event_id ?? '',
              type,
              ts,
              anonymous_id,
              session_id,
              group: group ?? undefined,
              value: detail?.value,
              currency: detail?.currency,
              items: detail?.items,
              props: detail?.props,
            },
          };
        },
      );
    }),
    async migrate() {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)',
      );
      const applied = new Set(
        db
          .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
          .all()
          .map((r) => r.version),
      );
      for (const m of SQLITE_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        db.transaction(() => {
          for (const sql of m.statements) db.exec(sql);
          db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
            m.version,
            m.name,
            Date.now(),
          );
        })();
      }
      // Ready for traffic only once batches go to the writer thread (or it has failed to start).
      await started;
      return Math.max(0, ...SQLITE_MIGRATIONS.map((m) => m.version));
    },
    async insertEvents(site, events, receivedAt) {
      if (!events.length) return { accepted: 0, duplicates: 0 };
      // An event repeated within the batch is stored once: it never reaches the writer twice, so the
      // batch's aggregates made here count what the store keeps.
      const distinct = onceEach(events);
      const values = rowValues(site, distinct, receivedAt);
      const accepted = writer
        ? await writer.insert(values, batchFold(site, distinct, receivedAt))
        : s().insertRows(values);
      return { accepted, duplicates: events.length - accepted };
    },
    async events(q: EventQuery = {}) {
      return selectEvents(db, q);
    },
    async stats(site) {
      const filter = site ? 'WHERE site = ?' : '';
      const args = site ? [site] : [];
      const byType: Record<string, number> = {};
      for (const r of db
        .prepare<string[], { type: string; n: number }>(
          `SELECT type, COUNT(*) AS n FROM events ${filter} GROUP BY type`,
        )
        .all(...args))
        byType[r.type] = r.n;
      const bySite: Record<string, number> = {};
      for (const r of db
        .prepare<string[], { site: string; n: number }>(
          `SELECT site, COUNT(*) AS n FROM events ${filter} GROUP BY site`,
        )
        .all(...args))
        bySite[r.site] = r.n;
      const span = db
        .prepare<string[], { first: number | null; last: number | null }>(
          `SELECT MIN(ts) AS first, MAX(ts) AS last FROM events ${filter}`,
        )
        .get(...args);
      const sites = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM sites').get()?.n ?? 0;
      const stats: Stats = {
        events: Object.values(byType).reduce((a, b) => a + b, 0),
        byType,
        sites,
        bySite,
        firstTs: span?.first ?? null,
        lastTs: span?.last ?? null,
      };
      return stats;
    },
    async getSite(key) {
      const row = s().getSite.get(key);
      return row ? toSite(row) : null;
    },
    async putSite(site) {
      s().putSite.run(site.key, site.name, JSON.stringify(site.origins), site.created_at);
    },
    async listSites() {
      return db
        .prepare<[], { key: string; name: string; origins: string; created_at: number }>(
          'SELECT key, name, origins, created_at FROM sites ORDER BY key',
        )
        .all()
        .map(toSite);
    },
    async hit(key, windowStart) {
      // One window's counts at a time: a new window starts them over, at no cost per hit.
      if (windowStart !== hitsWindow) {
        hits.clear();
        hitsWindow = windowStart;
      }
      const n = (hits.get(key) ?? 0) + 1;
      hits.set(key, n);
      return n;
    },
    async close() {
      await started;
      await writer?.close();
      db.close();
    },
  };
}
