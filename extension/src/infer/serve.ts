/**
 * @module infer/serve — the inference engine served over postMessage: in the page's inference
 * worker (`aisle-infer.js`), and in the Aisle extension's one host for every tab, where engines are
 * shared by every tab of the same store and configuration, over one model cache.
 */
import type { RpcChannel, RpcReply, RpcRequest } from '../rpc/protocol';
import { serveRpc } from '../rpc/server';
import { matVecOnce, setWasmBase } from './backend';
import { openModelCache } from './cache';
import { calibrateBackends, createInferenceEngine, type InferenceEngine } from './engine';
import type { InferApi, InferConfig } from './protocol';

export type InferPort = RpcChannel<RpcRequest, RpcReply>;

/** Engines by configuration, shared by every port served from the same host. */
const engines = new Map<string, Promise<InferenceEngine>>();

export function serveInference(port: InferPort, onReply?: (request: RpcRequest, reply: RpcReply) => void) {
  let engine: Promise<InferenceEngine> | undefined;
  const ready = () => {
    if (!engine) throw new Error('inference not initialised');
    return engine;
  };
  const api: InferApi = {
    ping: async () => true,
    async init(config: InferConfig) {
      const key = JSON.stringify(config);
      let shared = engines.get(key);
      if (!shared) {
        // The wasm binaries come from the edge that served the script.
        setWasmBase(`${config.endpoint}/aisle-wasm/`);
        shared = openModelCache().then((cache) => createInferenceEngine(config, cache));
        engines.set(key, shared);
        shared.catch(() => engines.delete(key));
      }
      engine = shared;
      return (await engine).status();
    },
    recommend: async (history, rules) => (await ready()).recommend(history, rules),
    risk: async (session) => (await ready()).risk(session),
    status: async () => (await ready()).status(),
    floor: async (items, dim) => {
      await ready();
      return matVecOnce(items, dim);
    },
    async calibrate(config) {
      if (engine) throw new Error('calibration runs in a worker of its own, not in one that serves');
      setWasmBase(`${config.endpoint}/aisle-wasm/`);
      return calibrateBackends(await openModelCache());
    },
  };
  serveRpc(port, api, onReply);
}
