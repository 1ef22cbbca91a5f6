/**
 * @module infer/tf-lean — what `@tensorflow/tfjs` means inside `aisle-infer.js` (a build alias, see
 * vite.config.ts): the core with its chained ops, Layers (the risk model is a Layers network) and
 * the CPU backend, which runs everywhere. Not the umbrella's WebGL backend, gradients or data
 * pipeline: the GPU and wasm backends are chunks of their own, fetched only by a device that tries
 * them (`./backend`), and inference never takes a gradient.
 */
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

export * from '@tensorflow/tfjs-backend-cpu';
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
