/** The storage contract, on real SQLite and real PostgreSQL: migrations, exactly-once storage, sites, export cursor, shared counters. */

import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestBody } from '../edge-server/src/ingest';
import { PG_MIGRATIONS, SQLITE_MIGRATIONS } from '../edge-server/src/storage/migrations';
import { openPostgres } from '../edge-server/src/storage/postgres';
import { DAY_MS } from '../edge-server/src/storage/rollups';
import { openSqlite } from '../edge-server/src/storage/sqlite';
import { rowInserter, rowValues } from '../edge-server/src/storage/sqlite-rows';
import type { Storage } from '../edge-server/src/storage/types';
import { type OpenStorage, storageAdapters } from './helpers/adapters';
import { makeEvent, makeEvents } from './helpers/events';
import { openTestPostgres, PG_URL, type TestPostgres } from './helpers/postgres';
import { tempSqlite } from './helpers/server';

const adapters = await storageAdapters();

describe.each(adapters)('$name storage', (adapter) => {
  let f: OpenStorage;
  beforeAll(async () => {
    f = await adapter.open();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('migrates once: running the migrations again changes nothing', async () => {
    await f.storage.insertEvents('demo', [makeEvent()], Date.now());
    const version = await f.storage.migrate();
    expect(version).toBeGreaterThanOrEqual(1);
    expect(await f.another().migrate()).toBe(version);
    expect((await f.storage.stats()).events).toBe(1);
  });

  it('stores each event_id once, even when two nodes insert the same batch at the same moment', async () => {
    const other = f.another();
    await other.migrate();
    const batch = makeEvents(200, { type: 'add_to_cart' });
    const [a, b] = await Promise.all([
      f.storage.insertEvents('demo', batch, Date.now()),
      other.insertEvents('demo', batch, Date.now()),
    ]);
    expect(a.accepted + b.accepted).toBe(200);
    expect(a.duplicates + b.duplicates).toBe(200);
    expect((await f.storage.stats()).byType.add_to_cart).toBe(200);
  });

  it('returns stored events intact, in order, page by page', async () => {
    // More than one multi-row insert's worth, with and without the optional fields.
    const batch = Array.from({ length: 123 }, (_, i) =>
      i % 3
        ? makeEvent({ type: 'purchase', value: 12.5, currency: 'EUR', transaction_id: `T${i}`, user_id: `u-${i}` })
        : makeEvent({ type: 'page_view', items: undefined, props: { n: i, ok: true, none: null } }),
    );
    await f.storage.insertEvents('shop2', batch, 1234);
    const first = await f.storage.events({ site: 'shop2', limit: 3 });
    const rest = await f.storage.events({ site: 'shop2', after: first[2].seq });
    expect([...first, ...rest].map((s) => s.event)).toEqual(batch);
    expect(first[0]).toMatchObject({ site: 'shop2', received_at: 1234 });
  });

  it('filters stats by site', async () => {
    const s = await f.storage.stats('shop2');
    expect(s).toMatchObject({ events: 123, byType: { purchase: 82, page_view: 41 }, bySite: { shop2: 123 } });
  });

  it('creates and updates sites', async () => {
    await f.storage.putSite({ key: 's1', name: 'One', origins: ['https://one.example'], created_at: 5 });
    await f.storage.putSite({
      key: 's1',
      name: 'One!',
      origins: ['https://one.example', 'https://www.one.example'],
      created_at: 9,
    });
    expect(await f.storage.getSite('s1')).toEqual({
      key: 's1',
      name: 'One!',
      origins: ['https://one.example', 'https://www.one.example'],
      created_at: 5,
    });
    expect(await f.storage.getSite('nope')).toBeNull();
    expect((await f.storage.listSites()).map((s) => s.key)).toContain('s1');
  });

  it('counts rate-limit hits per key and window', async () => {
    expect(await f.storage.hit('k', 1000)).toBe(1);
    expect(await f.storage.hit('k', 1000)).toBe(2);
    expect(await f.storage.hit('k', 2000)).toBe(1);
    expect(await f.storage.hit('other', 1000)).toBe(1);
  });
});

describe('SQLite store from before migration 2', () => {
  it('upgrades in place and still returns the events it held, next to new ones', async () => {
    const t = tempSqlite();
    const raw = new Database(`${t.dir}/aisle.db`);
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
    for (const sql of SQLITE_MIGRATIONS[0].statements) raw.exec(sql);
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(SQLITE_MIGRATIONS[0].name);
    // Version 1 kept the whole event as its payload.
    const old = makeEvent({ user_id: 'u-1', type: 'purchase', value: 5, currency: 'EUR' });
    raw
      .prepare(
        `INSERT INTO events (event_id, site, type, ts, anonymous_id, session_id, user_id, received_at, payload)
         VALUES (?, 'demo', ?, ?, ?, ?, ?, 1, ?)`,
      )
      .run(old.event_id, old.type, old.ts, old.anonymous_id, old.session_id, old.user_id, JSON.stringify(old));
    raw.close();
    try {
      expect(await t.storage.migrate()).toBe(SQLITE_MIGRATIONS.at(-1)?.version);
      const fresh = makeEvent({ search_term: 'boots', type: 'search', items: undefined });
      expect(await t.storage.insertEvents('demo', [old, fresh], Date.now())).toEqual({ accepted: 1, duplicates: 1 });
      expect((await t.storage.events()).map((s) => s.event)).toEqual([old, fresh]);
    } finally {
      await t.storage.close();
      t.remove();
    }
  });
});

describe('SQLite writer thread', () => {
  let t: ReturnType<typeof tempSqlite>;
  beforeAll(async () => {
    t = tempSqlite();
    await t.storage.migrate();
  });
  afterAll(async () => {
    await t?.storage.close();
    t?.remove();
  });
  const body = (events: unknown[]) => new TextEncoder().encode(JSON.stringify({ events }));
  // What `POST /v1/events` does with a request body.
  const ingest = (storage: Storage, site: string, bytes: Uint8Array, at: number) =>
    ingestBody(bytes, at, async (events) => (await storage.insertEvents(site, events, at)).accepted);

  it("stores a request body's valid events through the thread, and the main connection reads them at once", async () => {
    const good = makeEvents(3);
    const outcome = await ingest(t.storage, 'demo', body([...good, { type: 'nope' }, good[0]]), Date.now());
    expect(outcome).toMatchObject({ ok: true, result: { accepted: 3, duplicates: 1, rejected: [{ index: 3 }] } });
    const stored = (await t.storage.events({ site: 'demo' })).map((e) => e.event);
    expect(stored).toEqual(good);
  });

  it('refuses malformed JSON, a body without events and an over-long field, storing nothing', async () => {
    const count = async () => (await t.storage.stats('demo')).events;
    const before = await count();
    const refusals = await Promise.all([
      ingest(t.storage, 'demo', new TextEncoder().encode('{"events": ['), Date.now()),
      ingest(t.storage, 'demo', new TextEncoder().encode('{"evts": []}'), Date.now()),
      ingest(t.storage, 'demo', body([makeEvent(), makeEvent({ search_term: 'x'.repeat(10_000) })]), Date.now()),
    ]);
    expect(refusals.map((r) => r && !r.ok && [r.status, r.error])).toEqual([
      [400, 'request body is not valid JSON'],
      [400, 'request body must be { "events": [...] }'],
      [400, 'field too long'],
    ]);
    expect(await count()).toBe(before);
  });

  it('counts a stored batch in the dashboard rollups in the same commit, each event once, and leaves a backlog to the refresh', async () => {
    const store = tempSqlite();
    try {
      await store.storage.migrate();
      const day = (ts: number) => Math.floor(ts / DAY_MS);
      const ts = Date.now();
      const range = { site: 'shop', from: day(ts), to: day(ts) };
      const batch = makeEvents(4, { ts }).map((e, i) => ({ ...e, type: i % 2 ? 'add_to_cart' : 'view_item' }));
      await ingest(store.storage, 'shop', body([...batch, batch[0]]), ts);
      // No refresh ran: the batch is folded in already, the repeat once.
      const { seq } = await store.storage.rollups.state();
      expect(seq).toBe((await store.storage.events({ site: 'shop' })).at(-1)?.seq);
      expect((await store.storage.rollups.overview(range)).days[0].byType).toEqual({ view_item: 2, add_to_cart: 2 });
      await ingest(store.storage, 'shop', body(batch), ts); // resent whole: all duplicates
      expect((await store.storage.rollups.overview(range)).events).toBe(4);
      // Rows written by another connection (an import, a restore) leave the rollups behind; a batch
      // after them is not folded on its own (it would skip the rows before it); the refresh folds both.
      const other = new Database(`${store.dir}/aisle.db`);
      rowInserter(other)(rowValues('shop', makeEvents(3, { ts, type: 'view_item' }), ts));
      other.close();
      await ingest(store.storage, 'shop', body(makeEvents(2, { ts, type: 'view_item' })), ts);
      expect((await store.storage.rollups.overview(range)).events).toBe(4);
      expect(await store.storage.rollups.refresh({ settleMs: 0 })).toEqual({ events: 5, done: true });
      expect((await store.storage.rollups.overview(range)).days[0].byType).toEqual({ view_item: 7, add_to_cart: 2 });
      // Caught up again: the next batch is folded in as it is stored.
      await ingest(store.storage, 'shop', body(makeEvents(1, { ts, type: 'view_item' })), ts);
      expect((await store.storage.rollups.overview(range)).events).toBe(10);
    } finally {
      await store.storage.close();
      store.remove();
    }
  });

  it('gives each flagged session of an older store one label, the latest given (migration 12)', async () => {
    const store = tempSqlite();
    try {
      await store.storage.migrate();
      const raw = new Database(`${store.dir}/aisle.db`);
      const flag = raw.prepare(
        `INSERT INTO risk_flags (event_id, site, session_id, anonymous_id, ts, score, reasons, model_version, label, labelled_at)
         VALUES (?, 'shop', ?, ?, 1, 0.99, 'pace', '1', ?, ?)`,
      );
      // Labelled one flag at a time, as before: the same session called a bot, then a false alarm.
      flag.run('e1', 's1', 'a1', 'confirmed', 100);
      flag.run('e2', 's1', 'a1', 'false', 200);
      flag.run('e3', 's1', 'a1', null, null);
      // Another shopper's session of the same id stays as it was.
      flag.run('e4', 's1', 'a2', null, null);
      raw.exec('DROP INDEX risk_flags_site_shopper_session');
      raw.exec('CREATE INDEX risk_flags_site_session ON risk_flags (site, session_id)');
      raw.prepare('DELETE FROM schema_migrations WHERE version = 12').run();
      raw.close();
      await store.storage.close();
      const again = openSqlite(`${store.dir}/aisle.db`);
      await again.migrate();
      expect(await again.riskLabels.list('shop')).toEqual([{ session_id: 's1', anonymous_id: 'a1', label: 'false' }]);
      await again.close();
    } finally {
      store.remove();
    }
  });

  it('keeps each event once when an older store held copies of an id in other cases (migration 9)', async () => {
    const store = tempSqlite();
    try {
      await store.storage.migrate();
      const raw = new Database(`${store.dir}/aisle.db`);
      const [a, b] = makeEvents(2);
      rowInserter(raw)(
        rowValues(
          'shop',
          [
            a,
            { ...a, event_id: a.event_id.toUpperCase() },
            { ...b, event_id: b.event_id.toUpperCase() },
            { ...b, event_id: b.event_id.replace(/[a-f]/, (c) => c.toUpperCase()) },
          ],
          1,
        ),
      );
      raw.prepare('DELETE FROM schema_migrations WHERE version = 9').run();
      raw.close();
      await store.storage.close();
      const again = openSqlite(`${store.dir}/aisle.db`);
      await again.migrate();
      expect((await again.events({ site: 'shop' })).map((e) => e.event.event_id).sort()).toEqual(
        [a.event_id, b.event_id].sort(),
      );
      await again.close();
    } finally {
      store.remove();
    }
  });

  it('answers each of many concurrent batches for itself, though they share commits', async () => {
    const store = tempSqlite();
    try {
      await store.storage.migrate();
      const ts = Date.now();
      const batches = Array.from({ length: 6 }, () => makeEvents(50, { ts, type: 'view_item' }));
      batches.push(batches[0].slice(0, 20)); // the first one's events again, in a later request
      const outcomes = await Promise.all(batches.map((b) => ingest(store.storage, 'shop', body(b), ts)));
      expect(outcomes.map((o) => o?.ok && [o.result.accepted, o.result.duplicates])).toEqual([
        ...Array(6).fill([50, 0]),
        [0, 20],
      ]);
      expect((await store.storage.stats('shop')).events).toBe(300);
      const day = Math.floor(ts / DAY_MS);
      expect((await store.storage.rollups.overview({ site: 'shop', from: day, to: day })).events).toBe(300);
    } finally {
      await store.storage.close();
      store.remove();
    }
  });

  it('lets a script that closes its store go on and exit', () => {
    const script = `
      import { openSqlite } from ${JSON.stringify(new URL('../edge-server/src/storage/sqlite.ts', import.meta.url).href)};
      const s = openSqlite(${JSON.stringify(`${t.dir}/other.db`)});
      await s.migrate();
      await s.close();
      console.log('closed');`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.trim()).toBe('closed');
  });
});

describe.runIf(adapters.length > 1)('PostgreSQL with several edge nodes', () => {
  let t: TestPostgres;
  beforeAll(async () => {
    t = await openTestPostgres();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('shares rate-limit counters between nodes', async () => {
    const other = t.another();
    await t.storage.hit('shared', 60_000);
    expect(await other.hit('shared', 60_000)).toBe(2);
  });

  it("folds every node's batches into the rollups in their own commits, each event once, while the nodes insert side by side", async () => {
    const nodes = [t.storage, t.another(), t.another()];
    const ts = Date.now();
    const day = Math.floor(ts / DAY_MS);
    const site = 'fold-shop';
    const rec = { model_version: 'v-fold', backend: 'wasm' };
    // Twelve shoppers; each batch sent to two nodes at once, and one resent later: duplicates race.
    const batches = Array.from({ length: 12 }, (_, b) => {
      const who = { anonymous_id: `anon-f${b}`, session_id: `sess-f${b}`, ts };
      return [
        ...makeEvents(30, { ...who, type: 'view_item' }),
        makeEvent({ ...who, type: 'rec_click', items: [{ item_id: `SKU-${b}` }], props: rec }),
      ];
    });
    const sends = batches.flatMap((batch, b) => [
      nodes[b % 3].insertEvents(site, batch, ts),
      nodes[(b + 1) % 3].insertEvents(site, batch, ts),
    ]);
    const results = await Promise.all(sends);
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(12 * 31);
    // Purchases of what a recommendation was clicked for, in later requests on other nodes.
    const purchases = batches.map((_, b) =>
      makeEvent({
        anonymous_id: `anon-f${b}`,
        session_id: `sess-f${b}`,
        ts,
        type: 'purchase',
        value: 10,
        currency: 'EUR',
        transaction_id: `T-f${b}`,
        items: [{ item_id: `SKU-${b}`, price: 10 }],
      }),
    );
    await Promise.all(purchases.map((p, b) => nodes[(b + 2) % 3].insertEvents(site, [p], ts)));
    expect((await nodes[0].insertEvents(site, batches[0], ts)).duplicates).toBe(31);
    // No refresh ran: every event is folded in already, and the watermark is level with the newest.
    const newest = (await t.storage.events({ site, newest: true, limit: 1 }))[0].seq;
    expect((await t.storage.rollups.state()).seq).toBe(newest);
    const range = { site, from: day, to: day };
    const overview = await t.storage.rollups.overview(range);
    expect(overview.days[0].byType).toEqual({ view_item: 360, rec_click: 12, purchase: 12 });
    expect((await t.storage.rollups.recommendations(range)).byModel).toMatchObject([
      { model_version: 'v-fold', backend: 'wasm', clicks: 12, purchases: 12 },
    ]);
    expect(await t.storage.rollups.refresh({ settleMs: 0 })).toEqual({ events: 0, done: true });
  });

  it('leaves events above a lagging watermark to the refresh, and folds each of them once', async () => {
    const site = 'lag-shop';
    const ts = Date.now();
    const day = Math.floor(ts / DAY_MS);
    const range = { site, from: day, to: day };
    const before = (await t.storage.rollups.overview(range)).events;
    // Rows another writer stored without folding them (an import, a node on older code).
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`SET search_path = ${t.schema}`);
      for (const e of makeEvents(3, { ts, type: 'view_item' }))
        await client.query(
          `INSERT INTO events (event_id, site, type, ts, anonymous_id, session_id, received_at, payload)
           VALUES ($1, $2, $3, $4, $5, $6, $4, $7)`,
          [e.event_id, site, e.type, ts, e.anonymous_id, e.session_id, JSON.stringify(e)],
        );
    } finally {
      await client.end();
    }
    // A batch stored now must not move the watermark past them: it is left to the refresh too.
    await t.another().insertEvents(site, makeEvents(2, { ts, type: 'add_to_cart' }), ts);
    expect((await t.storage.rollups.overview(range)).events).toBe(before);
    expect(await t.storage.rollups.refresh({ settleMs: 0 })).toEqual({ events: 5, done: true });
    expect((await t.storage.rollups.overview(range)).days[0].byType).toEqual({ view_item: 3, add_to_cart: 2 });
    // Caught up again: the next batch is folded in as it is stored.
    await t.storage.insertEvents(site, makeEvents(4, { ts, type: 'view_item' }), ts);
    expect((await t.storage.rollups.overview(range)).events).toBe(9);
  });

  it('fails only the request PostgreSQL refuses, not the others that shared its transaction', async () => {
    const site = 'group-shop';
    const ts = Date.now();
    // Text PostgreSQL cannot hold in jsonb (NUL), past the route's checks, among good requests.
    const bad = makeEvent({ ts, type: 'view_item', props: { note: 'a\u0000b' } });
    const good = Array.from({ length: 20 }, () => makeEvents(25, { ts, type: 'view_item' }));
    const outcomes = await Promise.allSettled([
      ...good.slice(0, 10).map((b) => t.storage.insertEvents(site, b, ts)),
      t.storage.insertEvents(site, [bad], ts),
      ...good.slice(10).map((b) => t.storage.insertEvents(site, b, ts)),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect(outcomes[10].status).toBe('rejected');
    expect((await t.storage.stats(site)).events).toBe(500);
    const day = Math.floor(ts / DAY_MS);
    expect((await t.storage.rollups.overview({ site, from: day, to: day })).events).toBe(500);
  });

  it('lets nodes that start together on an empty database migrate it once', async () => {
    const schema = `${t.schema}_fresh`;
    const nodes = [1, 2, 3].map(() => openPostgres({ connectionString: PG_URL, schema, poolSize: 1 }));
    try {
      const latest = PG_MIGRATIONS.at(-1)?.version;
      expect(await Promise.all(nodes.map((n) => n.migrate()))).toEqual([latest, latest, latest]);
      expect((await nodes[0].insertEvents('demo', [makeEvent()], 1)).accepted).toBe(1);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
