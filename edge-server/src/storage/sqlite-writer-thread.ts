/**
 * @module edge-server/storage/sqlite-writer-thread — the writer thread's side: its own connection
 * to the store, taking the rows the main thread built from parsed and validated batches. Requests
 * that queue while one is written share the next transaction (group commit), and the dashboard's
 * rollups take a batch's new events in that same transaction (see `store`).
 *
 * Checkpoints (copying the write-ahead log back into the database file, with two fsyncs) would
 * otherwise run inside every thousand-page commit and hold the writer for that long. Here a
 * checkpointer thread runs them on its own connection, concurrently with the writes, every
 * `CHECKPOINT_ROWS` rows; if that thread cannot run, SQLite's own automatic checkpoints stay on.
 */
import { parentPort, receiveMessageOnPort, type Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type BatchFold, clicksFor, fold, writeFolded } from './rollups';
import type { CheckpointReply } from './sqlite-checkpointer-thread';
import { configure, rowWriter, sqlOver, WIDTH } from './sqlite-rows';
import { tsWorker } from './ts-worker';

export type WriteRequest = { id: number; values: unknown[]; fold: BatchFold };
export type WriteReply = { id: number; accepted: number } | { id: number; error: string };

/** Rows between checkpoints: a few MB of log. */
const CHECKPOINT_ROWS = 10_000;
const AUTO_CHECKPOINT_PAGES = 1000;

const { file } = workerData as { file: string };
const db = new Database(file);
configure(db);
/**
 * Log frames (64 MiB of them) past which the writer catches up itself. The checkpointer's
 * checkpoints never block a write, so under constant writes the log always has new frames and
 * cannot start over; one run here, between two transactions, copies the few frames left and lets
 * the next write start it over.
 */
const CATCH_UP_FRAMES = (64 * 1024 * 1024) / (db.pragma('page_size', { simple: true }) as number);
const { sql } = sqlOver(db);
// Prepared on the first batch: the main thread migrates the schema before it sends any.
let write: ReturnType<typeof rowWriter> | undefined;

let checkpointer: Worker | undefined;
let checkpointing = false;
let rowsSince = 0;
let catchUp = false;
{
  const thread = tsWorker(new URL('./sqlite-checkpointer-thread.ts', import.meta.url), { file });
  const lost = () => {
    if (!checkpointer) return;
    checkpointer = undefined;
    db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  thread.on('error', lost);
  thread.on('exit', lost);
  thread.on('message', (m: CheckpointReply | 'ready') => {
    if (m === 'ready') {
      checkpointer = thread;
      db.pragma('wal_autocheckpoint = 0');
      return;
    }
    checkpointing = false;
    if ('log' in m) catchUp = m.log > CATCH_UP_FRAMES;
  });
  thread.unref();
}

function wrote(rows: number) {
  rowsSince += rows;
  if (catchUp && !checkpointing) {
    catchUp = false;
    db.pragma('wal_checkpoint(PASSIVE)');
  }
  if (!checkpointer || checkpointing || rowsSince < CHECKPOINT_ROWS) return;
  checkpointing = true;
  rowsSince = 0;
  checkpointer.postMessage('checkpoint');
}

/** Requests taken into one transaction at most (each at most 500 events): a group's replies wait for all of it. */
const GROUP_REQUESTS = 16;

/**
 * Stores a group of requests' rows in one transaction (group commit: under load, the requests
 * that queued while the last one was written share one commit) and returns each one's count of
 * new rows. While the dashboard's rollups are caught up with every stored event, each request's
 * new events are folded in within the same transaction and the watermark moves past them: from
 * the aggregates the ingest made when every event turned out new, from the batch's own projection
 * when it brought one (purchases); nothing just written is read back. A batch that repeated events
 * stored before and brought no projection is left, with everything after it, to the refresh, which
 * folds from the table; so are rollups still behind (after a restart, say).
 */
function store(group: WriteRequest[]): Promise<number[]> {
  write ??= rowWriter(db);
  const rows = write;
  return sql.transaction(async (tx) => {
    const [before] = await tx.all<{ seq: number | null; folded: number | null }>(
      `SELECT (SELECT MAX(seq) FROM events) AS seq, (SELECT seq FROM rollup_state WHERE id = 'events') AS folded`,
    );
    let caughtUp = before.folded !== null && before.folded === (before.seq ?? 0);
    const accepted: number[] = [];
    for (const { values, fold: how } of group) {
      const ids = rows(values);
      accepted.push(ids.length);
      if (!caughtUp || !ids.length) continue;
      const all = ids.length * WIDTH === values.length;
      let aggregates: ReturnType<typeof fold>;
      if ('events' in how) {
        const fresh = new Set(ids);
        const events = how.events.filter((e) => fresh.delete(e.event.event_id));
        aggregates = fold(events, await clicksFor(tx, events));
      } else if (all) aggregates = how.folded;
      else {
        caughtUp = false;
        continue;
      }
      const [after] = await tx.all<{ seq: number }>('SELECT MAX(seq) AS seq FROM events');
      await writeFolded(tx, aggregates, after.seq, Date.now());
    }
    return accepted;
  });
}

/** Stores a group of requests and answers each. */
async function handle(group: WriteRequest[]) {
  let accepted: number[];
  try {
    accepted = await store(group);
  } catch (error) {
    for (const { id } of group) parentPort?.postMessage({ id, error: (error as Error).message } satisfies WriteReply);
    return;
  }
  group.forEach(({ id }, i) => {
    parentPort?.postMessage({ id, accepted: accepted[i] } satisfies WriteReply);
  });
  wrote(group.reduce((n, r) => n + r.values.length / WIDTH, 0));
}

// One group at a time: the next starts with whatever queued meanwhile.
let queue: Promise<void> = Promise.resolve();
let closing = false;
/** Closes the connection (after the checkpointer) once the groups already queued are done. */
function closeAfterQueued() {
  closing = true;
  queue = queue.then(async () => {
    const done = checkpointer && new Promise((exited) => checkpointer?.once('exit', exited));
    checkpointer?.postMessage('close');
    await done;
    db.close();
    parentPort?.close();
  });
}
parentPort?.on('message', (m: WriteRequest | 'close') => {
  if (m === 'close') {
    closeAfterQueued();
    return;
  }
  const requests = [m];
  queue = queue.then(async () => {
    // What else has arrived by now joins this group, unless the thread is closing.
    while (!closing && parentPort && requests.length < GROUP_REQUESTS) {
      const next = receiveMessageOnPort(parentPort)?.message as WriteRequest | 'close' | undefined;
      if (next === undefined) break;
      if (next === 'close') closeAfterQueued();
      else requests.push(next);
    }
    await handle(requests);
  });
});
parentPort?.postMessage('ready');
