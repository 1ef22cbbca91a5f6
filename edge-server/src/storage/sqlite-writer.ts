/**
 * @module edge-server/storage/sqlite-writer — inserts event rows on a thread of its own.
 *
 * Writing a batch into SQLite (building records, B-tree inserts, the log write, and every so often
 * a checkpoint with its fsyncs) is most of the cost of an ingest request. On the main thread it
 * stalls every other request for that long; on this thread it overlaps with the parsing and
 * validation of the next request. SQLite allows one writer at a time, so one thread is enough; the
 * main connection keeps reading, which WAL mode allows alongside it.
 */
import { Worker } from 'node:worker_threads';
import type { WriteReply, WriteRequest } from './sqlite-writer-thread';

export interface Writer {
  /** Inserts flat row values in one transaction; resolves with the number of new rows once committed. */
  insert(values: unknown[]): Promise<number>;
  /** Waits for the batches in flight, then closes the thread's connection. */
  close(): Promise<void>;
}

/**
 * Starts the writer thread for the store at `file`; resolves once its connection is open, or
 * rejects when the thread cannot start (the store then writes on its own connection).
 */
export function startWriter(file: string, onFailure: (error: Error) => void): Promise<Writer> {
  return new Promise((resolve, reject) => {
    // The thread runs TypeScript the way the main process does: through tsx, registered first.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./sqlite-writer-thread.ts', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true, workerData: { file } },
    );
    const pending = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
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
          insert(values) {
            return new Promise<number>((resolveInsert, rejectInsert) => {
              const id = next++;
              pending.set(id, { resolve: resolveInsert, reject: rejectInsert });
              if (pending.size === 1) worker.ref();
              worker.postMessage({ id, values } satisfies WriteRequest);
            });
          },
          async close() {
            if (pending.size) await new Promise<void>((done) => (idle = done));
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
      if ('error' in m) p?.reject(new Error(m.error));
      else p?.resolve(m.accepted);
    });
  });
}
