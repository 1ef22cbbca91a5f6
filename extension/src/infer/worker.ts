/**
 * @module infer/worker — the entry of `aisle-infer.js`, loaded into a dedicated worker after the
 * page is interactive: TensorFlow.js with its WebGPU, WebGL, wasm and CPU backends, never on the
 * main thread and never in the small script every page loads.
 */
// First: manifests are checked by zod, on shops whose Content-Security-Policy allows no code made at run time.
import '@aisle/shared-models/util/no-eval';
import '@tensorflow/tfjs-backend-webgpu';
import { type InferPort, serveInference } from './serve';

serveInference(self as unknown as InferPort);
