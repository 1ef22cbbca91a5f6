/**
 * @module sync/worker — the entry of `aisle-sync.js`. In a dedicated worker it serves the engine
 * over postMessage; loaded as a plain script (pages whose policy forbids workers) it offers
 * `createEngine` to the main thread instead. One implementation either way.
 */
import { createEngine } from './engine';
import { type Port, serveEngine } from './serve';

declare const WorkerGlobalScope: { new (): unknown } | undefined;

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  serveEngine(self as unknown as Port);
} else {
  (globalThis as { __aisleSync?: unknown }).__aisleSync = { createEngine };
}
