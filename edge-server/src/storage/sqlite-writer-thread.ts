/**
 * @module edge-server/storage/sqlite-writer-thread — the writer thread's side: its own connection
 * to the store, inserting the rows the main thread sends, one transaction per batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configure, rowInserter } from './sqlite-rows';

export interface WriteRequest {
  id: number;
  values: unknown[];
}
export type WriteReply = { id: number; accepted: number } | { id: number; error: string };

const db = new Database((workerData as { file: string }).file);
configure(db);
// Prepared on the first batch: the main thread migrates the schema before it sends any.
let insert: ReturnType<typeof rowInserter> | undefined;

parentPort?.on('message', (m: WriteRequest | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: WriteReply;
  try {
    insert ??= rowInserter(db);
    reply = { id: m.id, accepted: insert(m.values) };
  } catch (error) {
    reply = { id: m.id, error: (error as Error).message };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage('ready');
