/** @module test/helpers/postgres — a fresh schema per test file on the real PostgreSQL server. */
import pg from 'pg';
import { openPostgres } from '../../edge-server/src/storage/postgres';
import type { Storage } from '../../edge-server/src/storage/types';

export const PG_URL = process.env.AISLE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers. CI sets AISLE_REQUIRE_PG=1 so that a missing server fails instead of skipping. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if (process.env.AISLE_REQUIRE_PG === '1')
      throw new Error(`PostgreSQL is required but not reachable at ${PG_URL}: ${err}`);
    console.warn(
      `[test] PostgreSQL not reachable at ${PG_URL}; PostgreSQL tests are skipped (${(err as Error).message})`,
    );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestPostgres {
  storage: Storage;
  schema: string;
  /** A second adapter on the same schema: another edge node. */
  another(): Storage;
  drop(): Promise<void>;
}

export async function openTestPostgres(): Promise<TestPostgres> {
  const schema = `aisle_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const storage = openPostgres({ connectionString: PG_URL, schema, poolSize: 4 });
  await storage.migrate();
  const others: Storage[] = [];
  return {
    storage,
    schema,
    another() {
      const s = openPostgres({ connectionString: PG_URL, schema, poolSize: 2 });
      others.push(s);
      return s;
    },
    async drop() {
      await Promise.all([storage, ...others].map((s) => s.close()));
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
