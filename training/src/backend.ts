/**
 * @module training/backend — picks the TensorFlow.js backend for training: `wasm` by default, the
 * fastest that installs on a machine without a GPU (see ../shared/WEBGPU.md); `cpu` on request.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { DataError } from './data/errors';

export const BACKENDS = ['wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

let wasmPathsSet = false;

export async function useBackend(name: string = 'wasm'): Promise<Backend> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new DataError(`--backend ${name}: expected one of ${BACKENDS.join(', ')}`);
  }
  if (name === 'wasm' && !wasmPathsSet) {
    // The .wasm binaries ship inside the npm package: load them from there, never from a CDN.
    const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasm)}/`);
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new DataError(`the ${name} backend does not start on this machine`);
  }
  await tf.ready();
  return name as Backend;
}
