/**
 * @module edge-server/storage/sqlite-writer-thread — the writer thread's side: its own connection
 * to the store, one transaction per batch. It takes either rows the main thread built, or a raw
 * request body, which it parses, validates and stores here, so the main thread never parses it.
 *
 * Checkpoints (copying the write-ahead log back into the database file, with two fsyncs) would
 * otherwise run inside every thousand-page commit and hold the writer for that long. Here a
 * checkpointer thread runs them on its own connection, concurrently with the writes, every
 * `CHECKPOINT_ROWS` rows; if that thread cannot run, SQLite's own automatic checkpoints stay on.
 */
import { parentPort, type Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type IngestOutcome, ingestBody } from '../ingest';
import type { CheckpointReply } from './sqlite-checkpointer-thread';
import { configure, rowInserter, rowValues, WIDTH } from './sqlite-rows';
import { tsWorker } from './ts-worker';

export type WriteRequest =
  | { id: number; values: unknown[] }
  | { id: number; site: string; body: Uint8Array; receivedAt: number };
export type WriteReply =
  | { id: number; accepted: number }
  | { id: number; outcome: IngestOutcome }
  | { id: number; error: string };

/** Rows between checkpoints: about 4 MB of log, what SQLite's default of 1,000 pages amounts to. */
const CHECKPOINT_ROWS = 10_000;
/**
 * Log frames past which the writer catches up itself. The checkpointer's checkpoints never block
 * a write, so under constant writes the log always has new frames and cannot start over; one run
 * here, between two transactions, copies the few frames left and lets the next write start it over.
 */
const CATCH_UP_FRAMES = 16_384;
const AUTO_CHECKPOINT_PAGES = 1000;

const { file } = workerData as { file: string };
const db = new Database(file);
configure(db);
// Prepared on the first batch: the main thread migrates the schema before it sends any.
let insert: ReturnType<typeof rowInserter> | undefined;

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

async function handle(m: WriteRequest): Promise<WriteReply> {
  insert ??= rowInserter(db);
  const rows = insert;
  if ('values' in m) {
    const accepted = rows(m.values);
    wrote(m.values.length / WIDTH);
    return { id: m.id, accepted };
  }
  const outcome = await ingestBody(m.body, m.receivedAt, (events) => {
    const accepted = rows(rowValues(m.site, events, m.receivedAt));
    wrote(events.length);
    return accepted;
  });
  return { id: m.id, outcome };
}

parentPort?.on('message', async (m: WriteRequest | 'close') => {
  if (m === 'close') {
    const done = checkpointer && new Promise((exited) => checkpointer?.once('exit', exited));
    checkpointer?.postMessage('close');
    await done;
    db.close();
    parentPort?.close();
    return;
  }
  handle(m).then(
    (reply) => parentPort?.postMessage(reply),
    (error: Error) => parentPort?.postMessage({ id: m.id, error: error.message } satisfies WriteReply),
  );
});
parentPort?.postMessage('ready');
