/** @module edge-server/storage/ts-worker — a worker thread running one of our TypeScript modules. */
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Starts a thread running the TypeScript module at `entry` the way the main process runs ours:
 * through tsx, registered in the thread before the module is imported.
 */
export function tsWorker(entry: URL, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`,
    { eval: true, workerData, resourceLimits },
  );
}
