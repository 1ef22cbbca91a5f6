/**
 * @module test/bench/ingest-servers — run in a child process by the ingest benchmark: the real
 * edge app over SQLite (and PostgreSQL when asked) next to a no-op Hono endpoint.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp } from '../../edge-server/src/app';
import { openPostgres } from '../../edge-server/src/storage/postgres';
import { openSqlite } from '../../edge-server/src/storage/sqlite';
import type { Storage } from '../../edge-server/src/storage/types';

const listen = (fetch: (req: Request) => Response | Promise<Response>) =>
  new Promise<number>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
    server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });

/** Stores whose dashboard rollups fold what they took in: a round against them ends when that is done. */
const folding = new Map<number, Storage>();

async function edge(storage: Storage) {
  await storage.migrate();
  await storage.putSite({ key: 'bench', name: 'Bench', origins: ['http://bench.test'], created_at: Date.now() });
  const app = createApp({
    storage,
    operatorToken: 'bench',
    rateLimit: { perClient: 1e9, perSite: 1e9, perClientAllRoutes: 1e9 },
  });
  const port = await listen(app.fetch);
  folding.set(port, storage);
  return port;
}

// The baseline: the same HTTP stack receiving the same body and parsing it, storing nothing.
const noop = new Hono();
noop.post('/v1/events', async (c) => {
  const body = (await c.req.json()) as { events: unknown[] };
  return c.json({ accepted: body.events.length, duplicates: 0, rejected: [] });
});

const ports: Record<string, number> = {
  noop: await listen(noop.fetch),
  sqlite: await edge(openSqlite(join(mkdtempSync(join(tmpdir(), 'aisle-bench-')), 'aisle.db'))),
};
if (process.env.BENCH_PG_URL) {
  const schema = `aisle_bench_${process.pid}`;
  ports.postgres = await edge(openPostgres({ connectionString: process.env.BENCH_PG_URL, schema }));
}
process.send?.({ ports });
process.on('message', async (m: 'cpu' | { drain: number }) => {
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMs: (user + system) / 1000 });
    return;
  }
  // The rollups fold the round's events in now, so that their cost falls in this round and not in
  // the next target's (all the servers share this process).
  const storage = folding.get(m.drain);
  while (storage && !(await storage.rollups.refresh({ settleMs: 0, budgetMs: 60_000 })).done);
  process.send?.({ drained: m.drain });
});
