/**
 * @module infer/backends/wasm — TensorFlow.js's wasm backend, a chunk of `aisle-infer.js` of its
 * own. The backend then fetches one binary of three, by what the device supports (SIMD, threads).
 */
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
