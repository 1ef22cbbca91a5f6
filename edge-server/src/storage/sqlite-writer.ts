/**
 * @module edge-server/storage/sqlite-writer — inserts event rows on a thread of its own.
 *
 * Writing a batch into SQLite (B-tree inserts, the log write, the dashboard's rollups, and every
 * so often a checkpoint) is most of the cost of an ingest request. On the main thread it stalls
 * every other request for that long; on this thread it overlaps with the parsing and validation
 * of the next requests, which the main thread does. SQLite allows one writer at a time, so one
 * thread is enough; the main connection keeps reading, which WAL mode allows alongside it.
 */
import type { BatchFold } from './rollups';
import type { WriteReply, WriteRequest } from './sqlite-writer-thread';
import { tsWorker } from './ts-worker';

export interface Writer {
  /**
   * Inserts flat row values in one transaction; resolves with the number of new rows once
   * committed. `folded`: the rows' rollup aggregates as if all were new (`foldedAsNew`), which the
   * thread adds in the same transaction when they all were, instead of folding the rows itself.
   */
  insert(values: unknown[], fold: BatchFold): Promise<number>;
  /** Waits for the batches in flight, then closes the thread's connection. */
  close(): Promise<void>;
}

/**
 * Starts the writer thread for the store at `file`; resolves once its connection is open, or
 * rejects when the thread cannot start (the store then writes on its own connection).
 */
export function startWriter(file: string, onFailure: (error: Error) => void): Promise<Writer> {
  return new Promise((resolve, reject) => {
    const worker = tsWorker(
      new URL('./sqlite-writer-thread.ts', import.meta.url),
      { file },
      { maxYoungGenerationSizeMb: 64 },
    );
    const pending = new Map<number, { resolve(reply: WriteReply): void; reject(e: Error): void }>();
    let next = 0;
    let started = false;
    let idle: (() => void) | undefined;
    const fail = (error: Error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      idle?.();
      if (started) onFailure(error);
      else reject(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (pending.size || !started) fail(new Error(`SQLite writer thread exited with code ${code}`));
    });
    worker.on('message', (m: WriteReply | 'ready') => {
      if (m === 'ready') {
        started = true;
        // Idle, the thread must not keep alive a process that forgot to close its store.
        worker.unref();
        resolve({
          async insert(values, fold) {
            const request: WriteRequest = { id: next++, values, fold };
            const reply = await new Promise<WriteReply>((resolveReply, rejectReply) => {
              pending.set(request.id, { resolve: resolveReply, reject: rejectReply });
              if (pending.size === 1) worker.ref();
              worker.postMessage(request);
            });
            if ('accepted' in reply) return reply.accepted;
            throw new Error(reply.error);
          },
          async close() {
            if (pending.size) await new Promise<void>((done) => (idle = done));
            // Held until it has exited: an unref'd thread would let the process end mid-close.
            worker.ref();
            const exited = new Promise((done) => worker.once('exit', done));
            worker.postMessage('close');
            await exited;
          },
        });
        return;
      }
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!pending.size) {
        worker.unref();
        idle?.();
      }
      p?.resolve(m);
    });
  });
}
