/** @module edge-server/storage/postgres — PostgreSQL for several stateless edge nodes on one database. */

import type { AisleEvent } from '@aisle/shared-models/schema/event';
import pg from 'pg';
import { PG_MIGRATIONS } from './migrations';
import { pgSql } from './postgres-sql';
import { pgEventWriter } from './postgres-writer';
import { DETAILED_TYPES, type RollupEvent, rollupsOver } from './rollups';
import { storesOver } from './stores';

export { pgSql } from './postgres-sql';

import type { EventQuery, Site, Stats, Storage, StoredEvent } from './types';

export interface PostgresOptions {
  connectionString: string;
  /** A schema to work in (created if missing); tests use one each. Default: the server's search_path. */
  schema?: string;
  poolSize?: number;
}

/** Events of the store in `seq` order (newest first with `q.newest`), over any pool, a reader's too. */
export async function selectEvents(pool: pg.Pool, q: EventQuery = {}): Promise<StoredEvent[]> {
  const where = ['seq > $1'];
  const args: (string | number)[] = [q.after ?? 0];
  if (q.site) where.push(`site = $${args.push(q.site)}`);
  for (const column of ['type', 'anonymous_id', 'session_id'] as const) {
    const value = q[column];
    if (value !== undefined) where.push(`${column} = $${args.push(value)}`);
  }
  const limit = `$${args.push(Math.min(10_000, q.limit ?? 1000))}`;
  const { rows } = await pool.query(
    `SELECT seq, site, received_at, payload FROM events WHERE ${where.join(' AND ')} ORDER BY seq${q.newest ? ' DESC' : ''} LIMIT ${limit}`,
    args,
  );
  return rows.map((r) => ({ seq: Number(r.seq), site: r.site, received_at: Number(r.received_at), event: r.payload }));
}

/** Any number value PostgreSQL returns as text (bigint, count) comes back as a JS number here. */
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function openPostgres(options: PostgresOptions): Storage {
  const { connectionString, schema, poolSize = 10 } = options;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    // A database that does not answer fails a request after this long rather than never.
    connectionTimeoutMillis: 10_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection must not take the process down.
  pool.on('error', (err) => console.error('[edge] PostgreSQL pool error', err.message));
  let lastSweep = 0;

  const sql = pgSql(pool);
  // Half the pool writes events at most; the other half stays free for reads.
  const insertEvents = pgEventWriter(pool, Math.max(1, Math.floor(poolSize / 2)));

  return {
    kind: 'postgres',
    ...storesOver(sql),
    rollups: rollupsOver(sql, 'postgres', async (after, limit, via = sql) => {
      const detailed = DETAILED_TYPES.map((t) => `'${t}'`).join(', ');
      type Row = Omit<RollupEvent['event'], 'ts' | 'group'> & {
        seq: string;
        site: string;
        received_at: string;
        ts: string;
        grp: RollupEvent['event']['group'] | null;
      };
      const rows = await via.all<Row>(
        `SELECT seq, site, received_at, event_id::text AS event_id, type, ts, anonymous_id, session_id,
           payload->>'group' AS grp, (payload->>'value')::float8 AS value, payload->>'currency' AS currency,
           CASE WHEN type IN (${detailed}) THEN payload->'items' END AS items,
           CASE WHEN type IN (${detailed}) THEN payload->'props' END AS props
         FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
        [after, limit],
      );
      return rows.map((r) => ({
        seq: Number(r.seq),
        site: r.site,
        received_at: Number(r.received_at),
        event: {
          event_id: r.event_id,
          type: r.type,
          ts: Number(r.ts),
          anonymous_id: r.anonymous_id,
          session_id: r.session_id,
          group: r.grp ?? undefined,
          value: r.value ?? undefined,
          currency: r.currency ?? undefined,
          items: r.items ?? undefined,
          props: r.props ?? undefined,
        },
      }));
    }),
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Several nodes may start together; one migrates, the others wait and then find nothing to do.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('aisle-migrations'))`);
        if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text, applied_at bigint)',
        );
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        const applied = new Set(rows.map((r) => r.version));
        for (const m of PG_MIGRATIONS) {
          if (applied.has(m.version)) continue;
          for (const sql of m.statements) await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            Date.now(),
          ]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
      return Math.max(0, ...PG_MIGRATIONS.map((m) => m.version));
    },
    async insertEvents(site, events: readonly AisleEvent[], receivedAt) {
      if (!events.length) return { accepted: 0, duplicates: 0 };
      const accepted = await insertEvents(site, events, receivedAt);
      return { accepted, duplicates: events.length - accepted };
    },
    async events(q: EventQuery = {}) {
      return selectEvents(pool, q);
    },
    async stats(site) {
      const filter = site ? 'WHERE site = $1' : '';
      const args = site ? [site] : [];
      const [types, sitesRes, span, count] = await Promise.all([
        pool.query(`SELECT type, COUNT(*) AS n FROM events ${filter} GROUP BY type`, args),
        pool.query(`SELECT site, COUNT(*) AS n FROM events ${filter} GROUP BY site`, args),
        pool.query(`SELECT MIN(ts) AS first, MAX(ts) AS last FROM events ${filter}`, args),
        pool.query('SELECT COUNT(*) AS n FROM sites'),
      ]);
      const byType: Record<string, number> = {};
      for (const r of types.rows) byType[r.type] = Number(r.n);
      const bySite: Record<string, number> = {};
      for (const r of sitesRes.rows) bySite[r.site] = Number(r.n);
      const stats: Stats = {
        events: Object.values(byType).reduce((a, b) => a + b, 0),
        byType,
        sites: Number(count.rows[0].n),
        bySite,
        firstTs: n(span.rows[0].first),
        lastTs: n(span.rows[0].last),
      };
      return stats;
    },
    async getSite(key) {
      const { rows } = await pool.query('SELECT key, name, origins, created_at FROM sites WHERE key = $1', [key]);
      return rows[0] ? ({ ...rows[0], created_at: Number(rows[0].created_at) } as Site) : null;
    },
    async putSite(site) {
      await pool.query(
        `INSERT INTO sites (key, name, origins, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, origins = EXCLUDED.origins`,
        [site.key, site.name, JSON.stringify(site.origins), site.created_at],
      );
    },
    async listSites() {
      const { rows } = await pool.query('SELECT key, name, origins, created_at FROM sites ORDER BY key');
      return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }) as Site);
    },
    async hit(key, windowStart) {
      const { rows } = await pool.query<{ hits: number }>(
        `INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1
         RETURNING hits`,
        [key, windowStart],
      );
      // Old windows are worthless; sweep them now and then rather than on every request.
      if (windowStart - lastSweep > 60_000) {
        lastSweep = windowStart;
        void pool.query('DELETE FROM rate_limits WHERE window_start < $1', [windowStart]).catch(() => {});
      }
      return rows[0].hits;
    },
    async close() {
      await pool.end();
    },
  };
}
