/** @module test/bench/ingest — events per second into the edge store, next to a no-op Hono endpoint in the same run. */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { makeEvent } from '../helpers/events';
import { PG_URL, postgresAvailable } from '../helpers/postgres';
import { median, type Row, report } from './report';

const BATCH = 500;
const BATCHES_PER_ROUND = 120;
const ROUNDS = 9;
const CONCURRENCY = 4;
const FLOOR_ROUNDS = 3;

/**
 * Unique events for every request, as devices send them: one shopper's events per batch, with
 * the storefront script's version 7 ids. Duplicates would be cheaper to store and flatter the result.
 */
function bodies(n: number): string[] {
  return Array.from({ length: n }, (_, b) => {
    const shopper = `anon-${b}-${Math.random().toString(36).slice(2)}`;
    return JSON.stringify({
      events: Array.from({ length: BATCH }, (_, i) =>
        makeEvent({
          anonymous_id: shopper,
          session_id: `${shopper}-s${Math.floor(i / 100)}`,
          type: i % 5 ? 'view_item' : 'add_to_cart',
          ...(i % 5 ? {} : { value: 20, currency: 'EUR' }),
        }),
      ),
    });
  });
}

type CpuProbe = () => Promise<number>;

/**
 * CPU milliseconds every PostgreSQL process on this machine has used (from /proc, in clock ticks of
 * 10 ms): where the rest of a batch's time goes when the server runs here. Null when none is visible.
 */
function postgresCpuMs(): number | null {
  let ticks = 0;
  let seen = false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const fields = stat.slice(close + 2).split(' ');
      // utime and stime, fields 14 and 15 of the line (11 and 12 after the name).
      ticks += Number(fields[11]) + Number(fields[12]);
      seen = true;
    } catch {
      // a process that ended meanwhile
    }
  }
  return seen ? ticks * 10 : null;
}
type Drain = (port: number) => Promise<void>;

/**
 * PostgreSQL's own floor for the same batches: each body, as received, in one bare statement (one
 * round trip, autocommit) into a table of the event id and the document alone — the least that
 * deduplicates on event_id and keeps the event; no other column or index, no rollups, no edge. A
 * round's events per second and PostgreSQL's CPU per batch: what no writer of one row per event
 * goes below here. `open` makes the table and the pool's connections (before any round is timed).
 */
function postgresFloor() {
  const schema = `aisle_bench_floor_${process.pid}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: CONCURRENCY, options: `-c search_path=${schema}` });
  const insert = (body: string) =>
    pool.query(
      `INSERT INTO floor_events SELECT (e->>'event_id')::uuid, e FROM jsonb_array_elements($1::jsonb->'events') AS e
       ON CONFLICT (event_id) DO NOTHING`,
      [body],
    );
  return {
    async open() {
      await pool.query(`CREATE SCHEMA ${schema}`);
      await pool.query(`CREATE TABLE ${schema}.floor_events (event_id uuid PRIMARY KEY, payload jsonb NOT NULL)`);
      await Promise.all(bodies(CONCURRENCY).map(insert));
    },
    async round(): Promise<{ rate: number; pgMs: number | null }> {
      const batches = bodies(BATCHES_PER_ROUND);
      let next = 0;
      const pg0 = postgresCpuMs();
      const start = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batches.length) await insert(batches[next++]);
        }),
      );
      const pg1 = postgresCpuMs();
      return {
        rate: (batches.length * BATCH) / ((performance.now() - start) / 1000),
        pgMs: pg0 !== null && pg1 !== null ? (pg1 - pg0) / BATCHES_PER_ROUND : null,
      };
    },
    async close() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await pool.end();
    },
  };
}

/** Events per second, and the server's CPU milliseconds per batch, for one round against one port. */
async function round(
  port: number,
  batches: string[],
  serverCpu: CpuProbe,
  drain: Drain,
): Promise<[rate: number, cpuMs: number]> {
  const cpu0 = await serverCpu();
  const url = `http://127.0.0.1:${port}/v1/events`;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) {
        const body = batches[next++];
        const res = await fetch(url, { method: 'POST', headers: { 'X-Aisle-Site': 'bench' }, body });
        const json = (await res.json()) as { accepted: number };
        if (res.status !== 200 || json.accepted !== BATCH)
          throw new Error(`port ${port}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
      }
    }),
  );
  // Until the dashboard's rollups have folded the round's events in: part of the cost of storing them.
  await drain(port);
  const rate = (batches.length * BATCH) / ((performance.now() - start) / 1000);
  return [rate, ((await serverCpu()) - cpu0) / batches.length];
}

export async function benchIngest() {
  const withPg = await postgresAvailable();
  const child = fork(new URL('./ingest-servers.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...(withPg ? { BENCH_PG_URL: PG_URL } : {}) },
  });
  const { ports } = await new Promise<{ ports: Record<string, number> }>((resolve) =>
    child.once('message', resolve as never),
  );
  // The servers' process reports its CPU time on request: where the time goes, not only how much.
  const serverCpu: CpuProbe = () =>
    new Promise((resolve) => {
      child.once('message', (m: { cpuMs: number }) => resolve(m.cpuMs));
      child.send('cpu');
    });
  const drain: Drain = (port) =>
    new Promise((resolve) => {
      child.once('message', () => resolve());
      child.send({ drain: port });
    });
  const stores = Object.keys(ports).filter((t) => t !== 'noop');
  // Each store's rounds alternate with no-op rounds of their own: drift on a shared machine hits
  // a pair alike, and one store's aftermath (PostgreSQL's autovacuum, say) never lands in the
  // no-op rounds another store is judged against.
  const rates: Record<string, number[]> = Object.fromEntries(stores.map((t) => [t, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(stores.map((t) => [t, []]));
  const noopRates: Record<string, number[]> = Object.fromEntries(stores.map((t) => [t, []]));
  const noopCpu: Record<string, number[]> = Object.fromEntries(stores.map((t) => [t, []]));
  const pgCpu: number[] = [];
  const floor: { rate: number; pgMs: number | null; noopRate: number }[] = [];
  try {
    // Warm up every endpoint (JIT, SQLite page cache) before measuring.
    for (const t of ['noop', ...stores]) await round(ports[t], bodies(4), serverCpu, drain);
    for (const t of stores) {
      for (let r = 0; r < ROUNDS; r++) {
        const [noopRate, noopMs] = await round(ports.noop, bodies(BATCHES_PER_ROUND), serverCpu, drain);
        noopRates[t].push(noopRate);
        noopCpu[t].push(noopMs);
        const pg0 = postgresCpuMs();
        const [rate, cpuMs] = await round(ports[t], bodies(BATCHES_PER_ROUND), serverCpu, drain);
        const pg1 = postgresCpuMs();
        rates[t].push(rate);
        cpu[t].push(cpuMs);
        if (t === 'postgres' && pg0 !== null && pg1 !== null) pgCpu.push((pg1 - pg0) / BATCHES_PER_ROUND);
      }
    }
    // The floor's rounds paired with no-op rounds of their own, as the stores' are.
    if (withPg) {
      const bare = postgresFloor();
      try {
        await bare.open();
        for (let r = 0; r < FLOOR_ROUNDS; r++) {
          const [noopRate] = await round(ports.noop, bodies(BATCHES_PER_ROUND), serverCpu, drain);
          floor.push({ ...(await bare.round()), noopRate });
        }
      } catch (error) {
        console.warn(`ingest: PostgreSQL's floor not measured: ${(error as Error).message}`);
      } finally {
        await bare.close();
      }
    }
  } finally {
    child.kill();
  }
  const name = (t: string) => ({ sqlite: 'SQLite', postgres: 'PostgreSQL' })[t] ?? t;
  // Each store round's share against the no-op round right before it, then the median.
  const share = (t: string) => median(rates[t].map((rate, r) => rate / noopRates[t][r]));
  const rows: Row[] = [
    {
      metric: 'no-op Hono endpoint (baseline, rounds paired with SQLite)',
      value: Math.round(median(noopRates.sqlite)),
      unit: 'events/s',
    },
    { metric: 'no-op: server CPU per batch', value: median(noopCpu.sqlite), unit: 'ms' },
  ];
  for (const t of stores) {
    rows.push(
      { metric: `POST /v1/events into ${name(t)}`, value: Math.round(median(rates[t])), unit: 'events/s' },
      { metric: `${name(t)}: server CPU per batch`, value: median(cpu[t]), unit: 'ms' },
      ...(t === 'postgres' && pgCpu.length
        ? [{ metric: "PostgreSQL: its own processes' CPU per batch", value: median(pgCpu), unit: 'ms' }]
        : []),
      {
        metric: `${name(t)} share of the no-op rate (median of paired rounds)`,
        value: Math.round(share(t) * 1000) / 10,
        unit: '%',
        reference: t === 'sqlite' ? 'target >= 50 %' : 'target >= 40 %',
        pass: share(t) >= (t === 'sqlite' ? 0.5 : 0.4),
      },
    );
  }
  if (floor.length) {
    const rate = median(floor.map((f) => f.rate));
    const pgMs = floor.flatMap((f) => (f.pgMs === null ? [] : [f.pgMs]));
    rows.push({
      metric: `PostgreSQL's floor: each batch in one bare INSERT of event id and document (no other index, no rollups, no edge), ${FLOOR_ROUNDS} rounds${pgMs.length ? `; its CPU ${median(pgMs).toFixed(1)} ms per batch` : ''}`,
      value: Math.round(rate),
      unit: 'events/s',
      reference: `${Math.round(median(floor.map((f) => f.rate / f.noopRate)) * 1000) / 10} % of the no-op rate (median of paired rounds)`,
    });
  }
  report(
    'ingest',
    `Ingest throughput: ${BATCH}-event batches, ${CONCURRENCY} concurrent clients, median of ${ROUNDS} rounds`,
    rows,
    { rates, cpu, noopRates, noopCpu, pgCpu, floor },
  );
  return rows;
}
