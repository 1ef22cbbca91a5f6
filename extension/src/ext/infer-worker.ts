/**
 * @module ext/infer-worker — the extension's one inference worker, started by the offscreen host:
 * each tab's inference port is handed over here, and every tab of every store is served by the
 * same engines and model cache (the same `serveInference` as `aisle-infer.js`). A worker, not the
 * offscreen document itself, because a hidden document gets no animation frames, which TF.js's
 * GPU backends wait on.
 */
// First: manifests are checked by zod, on shops whose Content-Security-Policy allows no code made at run time.
import '@aisle/shared-models/util/no-eval';
import { allowWasmThreads } from '../infer/backend';
import { type InferPort, serveInference } from '../infer/serve';

// An extension's worker may be offered shared memory where a page's is not; the wasm backend then
// starts a pool of threads. One thread, as on every store's page: the same numbers, no pool to wait on.
allowWasmThreads(false);

self.addEventListener('message', (ev: MessageEvent) => {
  const port = ev.ports[0];
  if (!port) return;
  serveInference(port as unknown as InferPort);
  port.start();
});
