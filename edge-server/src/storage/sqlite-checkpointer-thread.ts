/**
 * @module edge-server/storage/sqlite-checkpointer-thread — copies the write-ahead log back into the
 * database file on a connection of its own, when the writer thread asks, so that the writer never
 * waits for a checkpoint's copying and fsyncs. See `sqlite-writer-thread`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configure } from './sqlite-rows';

export type CheckpointReply = { log: number; checkpointed: number } | { error: string };

const db = new Database((workerData as { file: string }).file);
configure(db);

parentPort?.on('message', (m: 'checkpoint' | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: CheckpointReply;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    reply = { log: r.log, checkpointed: r.checkpointed };
  } catch (error) {
    reply = { error: (error as Error).message };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage('ready');
