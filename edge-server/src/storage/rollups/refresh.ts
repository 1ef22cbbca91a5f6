/**
 * @module edge-server/storage/rollups/refresh — keeps the aggregates current: folds the events
 * stored after the watermark, a chunk per transaction (watermark and aggregates commit together; a
 * node that finds the watermark moved under it leaves the chunk to whoever moved it). One refresh
 * at a time per node; a caller during one shares its result.
 */
import type { Sql } from '../sql';
import { fold } from './fold';
import type { RollupEvent, Rollups } from './types';
import { clicksFor, writeFolded } from './write';

const CHUNK_EVENTS = 5000;
const n = (x: unknown) => Number(x ?? 0);

export function refreshOver(
  sql: Sql,
  kind: 'sqlite' | 'postgres',
  read: (after: number, limit: number, via?: Sql) => Promise<RollupEvent[]>,
): Rollups['refresh'] {
  let running: Promise<{ events: number; done: boolean }> | undefined;

  /**
   * PostgreSQL: the chunk is read after the watermark's lock is taken, in the transaction that moves
   * it. Every ingest transaction takes that lock before it commits, so the read sees each one that
   * held it before, and one still uncommitted then folds its own events once the watermark passes
   * them (postgres-writer): none is skipped, whatever its `received_at`.
   */
  async function lockedChunk(now: number, settleMs: number): Promise<number | undefined> {
    return sql.transaction(async (tx) => {
      const [state] = await tx.all<{ seq: unknown }>(`SELECT seq FROM rollup_state WHERE id = 'events' FOR UPDATE`);
      const fetched = await read(n(state?.seq), CHUNK_EVENTS, tx);
      const cut = fetched.findIndex((e) => e.received_at > now - settleMs);
      const events = cut < 0 ? fetched : fetched.slice(0, cut);
      if (!events.length) return undefined;
      await writeFolded(tx, fold(events, await clicksFor(tx, events)), events[events.length - 1].seq, now);
      return events.length;
    });
  }

  async function chunk(now: number, settleMs: number): Promise<number | undefined> {
    if (kind === 'postgres') return lockedChunk(now, settleMs);
    const [state] = await sql.all<{ seq: unknown }>(`SELECT seq FROM rollup_state WHERE id = 'events'`);
    const from = n(state?.seq);
    const fetched = await read(from, CHUNK_EVENTS);
    // PostgreSQL hands out sequence numbers before commit: a batch still committing may yet land
    // below the newest seq seen. Events younger than `settleMs` wait for the next refresh.
    const cut = fetched.findIndex((e) => e.received_at > now - settleMs);
    const events = cut < 0 ? fetched : fetched.slice(0, cut);
    if (!events.length) return undefined;
    const known = await clicksFor(sql, events);
    const agg = fold(events, known);
    const to = events[events.length - 1].seq;
    const moved = await sql.transaction(async (tx) => {
      const [again] = await tx.all<{ seq: unknown }>(`SELECT seq FROM rollup_state WHERE id = 'events'`);
      if (n(again?.seq) !== from) return true;
      await writeFolded(tx, agg, to, now);
      return false;
    });
    return moved ? 0 : events.length;
  }

  async function refreshOnce(now: number, settleMs: number, budgetMs: number) {
    const start = performance.now();
    let events = 0;
    for (;;) {
      const folded = await chunk(now, settleMs);
      if (folded === undefined) return { events, done: true };
      events += folded;
      if (performance.now() - start > budgetMs) return { events, done: false };
    }
  }

  return function refresh({ now = Date.now(), settleMs = 0, budgetMs = 2000 } = {}) {
    running ??= refreshOnce(now, settleMs, budgetMs).finally(() => {
      running = undefined;
    });
    return running;
  };
}
