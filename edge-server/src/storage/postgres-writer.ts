/**
 * @module edge-server/storage/postgres-writer — how a PostgreSQL edge node stores events: requests
 * that arrive while the node's transactions are busy share the next one (group commit), each group
 * is one `INSERT … SELECT FROM jsonb_array_elements(…)` (one round trip, whatever the batch), and
 * the dashboard's rollups take the new events in within the same transaction, from memory: only
 * the events `RETURNING` names as new, nothing read back.
 *
 * Inserts run side by side (on this node and others); only the fold takes the watermark's row lock,
 * so rollup upserts never deadlock and the watermark moves under one writer at a time. What keeps
 * every event folded exactly once: everything committed at or below the watermark is folded. So a
 * transaction folds its own events at or below the watermark always (nobody else will: the refresh
 * reads only above it), and those above it too when nothing but its own events lies above it — then
 * it moves the watermark past them. Otherwise (rollups behind, after an upgrade or while the refresh
 * works through a backlog) it leaves those to the refresh, which folds committed events from the table.
 */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type pg from 'pg';
import { pgClientSql } from './postgres-sql';
import { clicksFor, fold, projection, writeFolded } from './rollups';

/** Requests in one transaction at most, and events (each request brings at most 500). */
const GROUP_REQUESTS = 32;
const GROUP_EVENTS = 8000;
/** Requests waiting for a transaction on this node at most. */
const MAX_QUEUED = 5000;

interface Request {
  site: string;
  events: readonly AisleEvent[];
  receivedAt: number;
  resolve: (accepted: number) => void;
  reject: (error: Error) => void;
}

/** `concurrency`: transactions this node writes at once (each holds a connection of the pool). */
export function pgEventWriter(pool: pg.Pool, concurrency: number) {
  const queue: Request[] = [];
  let writing = 0;

  /** Folds a transaction's new events into the rollups under the watermark's lock (see the module's note). */
  async function foldIn(
    client: pg.PoolClient,
    mine: { request: Request; events: AisleEvent[] }[],
    seqs: Map<string, number>,
  ) {
    const { rows } = await client.query<{ seq: string }>(`SELECT seq FROM rollup_state WHERE id = 'events' FOR UPDATE`);
    if (!rows.length) return;
    const watermark = Number(rows[0].seq);
    let above = 0;
    let newest = watermark;
    for (const seq of seqs.values())
      if (seq > watermark) {
        above++;
        newest = Math.max(newest, seq);
      }
    // Whether anything but this transaction's own events lies above the watermark: counted no further
    // than one past its own, so a backlog (while the refresh works through it) costs no more than none.
    const [{ n }] = above
      ? (
          await client.query<{ n: string }>(
            'SELECT COUNT(*) AS n FROM (SELECT 1 FROM events WHERE seq > $1 LIMIT $2) AS above',
            [watermark, above + 1],
          )
        ).rows
      : [{ n: '0' }];
    const all = Number(n) === above;
    const events = mine.flatMap(({ request, events }) =>
      projection(
        request.site,
        all ? events : events.filter((e) => (seqs.get(e.event_id) ?? 0) <= watermark),
        request.receivedAt,
      ),
    );
    if (!events.length) return;
    const tx = pgClientSql(client);
    await writeFolded(tx, fold(events, await clicksFor(tx, events)), all ? newest : watermark, Date.now());
  }

  /** Stores one group in one transaction and returns each request's count of new events. */
  async function store(group: Request[]): Promise<number[]> {
    const sites: string[] = [];
    const received: number[] = [];
    const events: AisleEvent[] = [];
    for (const r of group)
      for (const e of r.events) {
        sites.push(r.site);
        received.push(r.receivedAt);
        events.push(e);
      }
    // Everything the transaction sends is made before it takes the lock.
    const docs = JSON.stringify(events);
    const client = await pool.connect();
    try {
      // The count of events above the watermark must walk the seq index, whatever the planner's
      // statistics say of a table that grew since they were taken: a scan of every event per batch
      // would make each one slower than the last.
      // And no transaction waits for ever on the watermark's lock or a statement: a node that hangs
      // while holding it fails its own requests (which devices resend), not every node's for good.
      await client.query(
        "BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL lock_timeout = '10s'; SET LOCAL statement_timeout = '60s'",
      );
      const { rows } = await client.query<{ seq: string; event_id: string }>(
        `INSERT INTO events (event_id, site, type, ts, anonymous_id, session_id, user_id, received_at, payload)
         SELECT (e.doc->>'event_id')::uuid, ($1::text[])[e.i], e.doc->>'type', (e.doc->>'ts')::bigint,
           e.doc->>'anonymous_id', e.doc->>'session_id', e.doc->>'user_id', ($2::bigint[])[e.i], e.doc
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(doc, i)
         ON CONFLICT (event_id) DO NOTHING
         RETURNING seq, event_id::text`,
        [sites, received, docs],
      );
      // Which request each new event came from: a repeated id counts once, for its first request.
      const seqs = new Map(rows.map((r) => [r.event_id, Number(r.seq)]));
      const unclaimed = new Set(seqs.keys());
      const mine = group.map((r) => ({ request: r, events: r.events.filter((e) => unclaimed.delete(e.event_id)) }));
      if (rows.length) await foldIn(client, mine, seqs);
      await client.query('COMMIT');
      return mine.map((m) => m.events.length);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** Starts a transaction for what is queued while fewer than `concurrency` are writing. */
  function pump() {
    while (queue.length && writing < concurrency) {
      let n = 0;
      let events = 0;
      while (n < queue.length && n < GROUP_REQUESTS && (n === 0 || events + queue[n].events.length <= GROUP_EVENTS)) {
        events += queue[n].events.length;
        n++;
      }
      const group = queue.splice(0, n);
      writing++;
      void write(group).finally(() => {
        writing--;
        pump();
      });
    }
  }

  async function write(group: Request[]) {
    try {
      const counts = await store(group);
      group.forEach((r, i) => {
        r.resolve(counts[i]);
      });
    } catch (error) {
      // One request's failure must not fail the others that happened to share its transaction.
      if (group.length === 1) group[0].reject(error as Error);
      else
        for (const r of group)
          await store([r]).then(
            ([count]) => r.resolve(count),
            (alone) => r.reject(alone as Error),
          );
    }
  }

  return function insert(site: string, events: readonly AisleEvent[], receivedAt: number): Promise<number> {
    return new Promise((resolve, reject) => {
      // Bounded: past this many waiting requests PostgreSQL is not keeping up, and the device is
      // better told so at once (it keeps its events and resends) than kept waiting.
      if (queue.length >= MAX_QUEUED) {
        reject(new Error(`${queue.length} requests already wait for PostgreSQL`));
        return;
      }
      queue.push({ site, events, receivedAt, resolve, reject });
      pump();
    });
  };
}
