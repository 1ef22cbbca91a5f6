/**
 * @module infer/serve — the inference engine served over postMessage: in the page's inference
 * worker (`aisle-infer.js`), and in the Aisle extension's one host for every tab, where engines are
 * shared by every tab of the same store and configuration, over one model cache.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { matVecOnce } from './backend';
import { openModelCache } from './cache';
import { createInferenceEngine, type InferenceEngine } from './engine';
import type { InferConfig, InferReply, InferRequest } from './protocol';

export interface InferPort {
  postMessage(message: InferReply): void;
  addEventListener(type: 'message', fn: (ev: MessageEvent<InferRequest>) => void): void;
}

/** Engines by configuration, shared by every port served from the same host. */
const engines = new Map<string, Promise<InferenceEngine>>();

export function serveInference(port: InferPort, onReply?: (request: InferRequest, reply: InferReply) => void) {
  let engine: Promise<InferenceEngine> | undefined;
  port.addEventListener('message', async (ev) => {
    const { id, method, args } = ev.data;
    const reply = (r: Omit<InferReply, 'id'>) => {
      const message = { id, ...r } as InferReply;
      port.postMessage(message);
      onReply?.(ev.data, message);
    };
    try {
      if (method === 'init') {
        const [config] = args as [InferConfig];
        const key = JSON.stringify(config);
        let shared = engines.get(key);
        if (!shared) {
          // The wasm binaries come from the edge that served the script.
          setWasmPaths(`${config.endpoint}/aisle-wasm/`);
          shared = openModelCache().then((cache) => createInferenceEngine(config, cache));
          engines.set(key, shared);
          shared.catch(() => engines.delete(key));
        }
        engine = shared;
        reply({ value: (await engine).status() });
        return;
      }
      if (!engine) throw new Error('inference not initialised');
      const e = await engine;
      if (method === 'recommend')
        reply({ value: await e.recommend(...(args as Parameters<InferenceEngine['recommend']>)) });
      else if (method === 'risk') reply({ value: await e.risk(...(args as Parameters<InferenceEngine['risk']>)) });
      else if (method === 'floor') reply({ value: await matVecOnce(...(args as Parameters<typeof matVecOnce>)) });
      else reply({ value: e.status() });
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    }
  });
}
