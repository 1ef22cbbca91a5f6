/**
 * @module infer/worker — the entry of `aisle-infer.js`, loaded into a dedicated (module) worker after
 * the page is interactive: TensorFlow.js with its CPU backend, never on the main thread and never in
 * the small script every page loads. The WebGPU, WebGL and wasm backends are chunks beside it,
 * fetched by a device that tries them.
 */
// First: manifests are checked by zod, on shops whose Content-Security-Policy allows no code made at run time.
import '@aisle/shared-models/util/no-eval';
import { type InferPort, serveInference } from './serve';

serveInference(self as unknown as InferPort);
