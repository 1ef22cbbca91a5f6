/** @module edge-server/storage/postgres-sql — the shared stores' minimal SQL over a PostgreSQL pool, or over one client inside a transaction. */
import type pg from 'pg';
import type { Sql } from './sql';

/** `?` placeholders numbered for PostgreSQL (the shared stores' statements have no `?` in literals). */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** The shared stores' minimal SQL over a pool: each statement on any connection, a transaction on one. */
export function pgSql(pool: pg.Pool): Sql {
  return over(pool, pool);
}

/** The same over one client already in a transaction (which it may not nest). */
export function pgClientSql(client: pg.PoolClient): Sql {
  return over(client);
}

function over(db: pg.Pool | pg.PoolClient, pool?: pg.Pool): Sql {
  return {
    all: async <T>(text: string, params: unknown[] = []) => (await db.query(numbered(text), params)).rows as T[],
    run: async (text, params = []) => {
      await db.query(numbered(text), params);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      if (!pool) throw new Error('transactions do not nest');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(over(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
