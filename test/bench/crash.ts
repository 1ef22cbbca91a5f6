/**
 * @module test/bench/crash — `npm run bench -- crash`: is anything the edge acknowledged ever lost
 * when its process dies? The product's server (`npm run serve`) takes a steady ingest load
 * on loopback; at a random moment it is killed with SIGKILL, started again on the same store, and
 * the batches that were in flight are sent again (as the storefront's outbox does). Then every
 * acknowledged event must be stored, and no event twice. SQLite and PostgreSQL, several rounds
 * each; the target is zero lost and zero doubled.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { spawnEdge } from '../helpers/edge-process';
import { makeEvent } from '../helpers/events';
import { PG_URL, postgresAvailable } from '../helpers/postgres';
import { median, type Row, report } from './report';

const ROUNDS = 5;
const CLIENTS = 4;
const BATCH = 200;
const TOKEN = 'crash-bench-operator-token';

interface Server {
  child: ChildProcess;
  port: number;
}

/** The server on a free port over `databaseUrl`; resolves once it answers. */
async function start(dataDir: string, databaseUrl: string): Promise<Server> {
  const child = spawnEdge(
    dataDir,
    {
      AISLE_DATABASE_URL: databaseUrl,
      AISLE_OPERATOR_TOKEN: TOKEN,
      AISLE_RATE_PER_CLIENT: '1000000',
      AISLE_RATE_PER_SITE: '1000000',
      AISLE_RATE_PER_CLIENT_ALL: '1000000',
    },
    ['ignore', 'pipe', 'inherit'],
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Aisle edge server on http:\/\/localhost:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before it listened:\n${out}`)));
  });
  // The site the load posts to, made as an operator would (the product's server starts with none).
  const site = await fetch(`http://127.0.0.1:${port}/v1/admin/sites`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: 'demo', name: 'Crash bench', origins: ['http://127.0.0.1'] }),
  });
  if (!site.ok) throw new Error(`could not make the site: ${site.status} ${await site.text()}`);
  return { child, port };
}

const post = (port: number, body: string) =>
  fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', headers: { 'X-Aisle-Site': 'demo' }, body });

/** Every event id the store holds for the site, with how many times (through the admin export). */
async function storedIds(port: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let after = 0; ; ) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/admin/events?site=demo&limit=10000&after=${after}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const page = (await res.json()) as { events: { seq: number; event: { event_id: string } }[]; next: number };
    for (const e of page.events) ids.set(e.event.event_id, (ids.get(e.event.event_id) ?? 0) + 1);
    if (page.events.length < 10_000) return ids;
    after = page.next;
  }
}

interface Totals {
  acknowledged: number;
  lost: number;
  doubled: number;
  inFlight: number;
  /** In-flight batches the store had committed before the kill: their resend came back as duplicates. */
  committedUnanswered: number;
  recoveryMs: number[];
  killedAfterMs: number[];
}

/** ROUNDS of load, SIGKILL at a random moment, restart, resend, count; on one store. */
async function crashRounds(name: string, databaseUrl: string, dataDir: string): Promise<Totals> {
  const totals: Totals = {
    acknowledged: 0,
    lost: 0,
    doubled: 0,
    inFlight: 0,
    committedUnanswered: 0,
    recoveryMs: [],
    killedAfterMs: [],
  };
  const acked = new Set<string>();
  let server = await start(dataDir, databaseUrl);
  for (let r = 1; r <= ROUNDS; r++) {
    let stop = false;
    const inFlight: { body: string; ids: string[] }[] = [];
    const load = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let b = 0; !stop; b++) {
        const shopper = `crash-${r}-${c}-${b}`;
        const events = Array.from({ length: BATCH }, () => makeEvent({ anonymous_id: shopper, session_id: shopper }));
        const batch = { body: JSON.stringify({ events }), ids: events.map((e) => e.event_id) };
        try {
          const res = await post(server.port, batch.body);
          const answer = (await res.json()) as { accepted?: number; duplicates?: number };
          if (res.status === 200 && (answer.accepted ?? 0) + (answer.duplicates ?? 0) === BATCH) {
            for (const id of batch.ids) acked.add(id);
          } else inFlight.push(batch);
        } catch {
          inFlight.push(batch); // no answer: the outbox keeps it and sends it again
          return;
        }
      }
    });
    const killAfter = 300 + Math.random() * 1700;
    await new Promise((resolve) => setTimeout(resolve, killAfter));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(load);
    totals.killedAfterMs.push(killAfter);
    const restarted = performance.now();
    server = await start(dataDir, databaseUrl);
    totals.recoveryMs.push(performance.now() - restarted);
    // The outbox sends again what got no answer; the server keeps each event once.
    for (const batch of inFlight) {
      const res = await post(server.port, batch.body);
      if (res.status !== 200) throw new Error(`${name}: a resent batch got ${res.status}`);
      if (((await res.json()) as { duplicates: number }).duplicates === BATCH) totals.committedUnanswered++;
      for (const id of batch.ids) acked.add(id);
    }
    totals.inFlight += inFlight.length;
    console.log(
      `  ${name} round ${r}: killed after ${killAfter.toFixed(0)} ms, ${acked.size} events acknowledged so far, ${inFlight.length} batches resent`,
    );
  }
  const stored = await storedIds(server.port);
  totals.acknowledged = acked.size;
  for (const id of acked) if (!stored.has(id)) totals.lost++;
  for (const n of stored.values()) if (n > 1) totals.doubled++;
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  return totals;
}

export async function benchCrash() {
  console.log(`\ncrash: ${ROUNDS} rounds of SIGKILL under load per store`);
  const stores: { name: string; url: string; dataDir: string; cleanup(): Promise<void> }[] = [];
  const sqliteDir = mkdtempSync(join(tmpdir(), 'aisle-crash-'));
  stores.push({
    name: 'SQLite',
    url: join(sqliteDir, 'aisle.db'),
    dataDir: sqliteDir,
    cleanup: async () => rmSync(sqliteDir, { recursive: true, force: true }),
  });
  if (await postgresAvailable()) {
    const db = `aisle_crash_${process.pid}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const pgDir = mkdtempSync(join(tmpdir(), 'aisle-crash-pg-'));
    const url = new URL(PG_URL);
    url.pathname = `/${db}`;
    stores.push({
      name: 'PostgreSQL',
      url: url.toString(),
      dataDir: pgDir,
      async cleanup() {
        rmSync(pgDir, { recursive: true, force: true });
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.end();
      },
    });
  } else console.warn('crash: PostgreSQL not reachable, SQLite only');

  const rows: Row[] = [];
  const results: Record<string, Totals> = {};
  for (const store of stores) {
    try {
      const t = await crashRounds(store.name, store.url, store.dataDir);
      results[store.name] = t;
      rows.push(
        { metric: `${store.name}: events acknowledged over ${ROUNDS} kills`, value: t.acknowledged, unit: 'events' },
        { metric: `${store.name}: batches in flight at a kill, sent again`, value: t.inFlight, unit: 'batches' },
        {
          metric: `${store.name}: of those, stored before the kill (resend all duplicates)`,
          value: t.committedUnanswered,
          unit: 'batches',
        },
        {
          metric: `${store.name}: acknowledged events lost`,
          value: t.lost,
          unit: 'events',
          reference: 'target 0',
          pass: t.lost === 0,
        },
        {
          metric: `${store.name}: events stored twice`,
          value: t.doubled,
          unit: 'events',
          reference: 'target 0',
          pass: t.doubled === 0,
        },
        { metric: `${store.name}: restart to answering, median`, value: median(t.recoveryMs), unit: 'ms' },
      );
    } finally {
      await store.cleanup();
    }
  }
  report('crash', `Crash safety: SIGKILL under ingest load, restart, resend (${ROUNDS} rounds per store)`, rows, {
    rounds: ROUNDS,
    clients: CLIENTS,
    batch: BATCH,
    results,
  });
}
