/** @module sync/serve — the engine served over a channel (the shared RPC), as the sync worker and the extension run it. */
import type { LogLevel } from '../core/logger';
import type { RpcChannel, RpcReply, RpcRequest } from '../rpc/protocol';
import { serveRpc } from '../rpc/server';
import { createEngine, type Engine, type EngineConfig, type EngineHooks } from './engine';
import { ENGINE_METHODS, type EngineNews } from './protocol';

export { ENGINE_METHODS, type EngineNews };

export type Port = RpcChannel<RpcRequest, RpcReply | EngineNews> & {
  addEventListener(type: 'online', fn: () => void): void;
};

/** What the host of the engine decides, not the page: where it keeps the events (the extension: one database per store). */
export type ServeOptions = Pick<EngineHooks, 'dbName' | 'fetch'>;

export function serveEngine(port: Port, options: ServeOptions = {}) {
  let engine: Promise<Engine> | undefined;
  const logger = {
    log: (level: LogLevel, message: string) => {
      if (level === 'warn' || level === 'error') port.postMessage({ type: 'log', level, message });
    },
    recent: () => [],
  };
  const ready = () => {
    if (!engine) throw new Error('engine not initialised');
    return engine as unknown as Promise<Record<string, (...a: unknown[]) => Promise<unknown>>>;
  };
  serveRpc(port, {
    async init(config: EngineConfig) {
      engine = createEngine(config, {
        ...options,
        logger,
        onResult: (result) => port.postMessage({ type: 'sync', result }),
      });
      return { storage: (await engine).storage };
    },
    ...Object.fromEntries(
      ENGINE_METHODS.map((method) => [method, async (...args: unknown[]) => (await ready())[method](...args)]),
    ),
  });
  // A worker hears the network come back too; the page does not have to tell it.
  port.addEventListener('online', () => void engine?.then((e) => e.flush()));
  return { engine: () => engine };
}
