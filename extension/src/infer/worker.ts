/**
 * @module infer/worker — the entry of `aisle-infer.js`, loaded into a dedicated worker after the
 * page is interactive: TensorFlow.js with its WebGPU, WebGL, wasm and CPU backends, never on the
 * main thread and never in the small script every page loads.
 */
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { matVecOnce } from './backend';
import { openModelCache } from './cache';
import { createInferenceEngine, type InferenceEngine } from './engine';
import type { InferReply, InferRequest } from './protocol';

let engine: Promise<InferenceEngine> | undefined;

self.addEventListener('message', async (ev: MessageEvent<InferRequest>) => {
  const { id, method, args } = ev.data;
  const reply = (r: Omit<InferReply, 'id'>) => (self as unknown as Worker).postMessage({ id, ...r });
  try {
    if (method === 'init') {
      const [config] = args;
      // The wasm binaries come from the edge that served this script.
      setWasmPaths(`${config.endpoint}/aisle-wasm/`);
      engine = openModelCache().then((cache) => createInferenceEngine(config, cache));
      reply({ value: (await engine).status() });
      return;
    }
    if (!engine) throw new Error('inference not initialised');
    const e = await engine;
    if (method === 'recommend') reply({ value: await e.recommend(...args) });
    else if (method === 'risk') reply({ value: await e.risk(...args) });
    else if (method === 'floor') reply({ value: await matVecOnce(...args) });
    else reply({ value: e.status() });
  } catch (error) {
    reply({ error: error instanceof Error ? error.message : String(error) });
  }
});
