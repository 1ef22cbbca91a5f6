/**
 * @module sync/connect — reaches the engine from the page: in a worker when the page allows one
 * (created from a blob that imports `aisle-sync.js`, so it works from any origin), else by loading
 * the same script on the main thread.
 */
import { loadScript } from '../core/load-script';
import type { Logger } from '../core/logger';
import { rpcClient } from '../rpc/client';
import type { RpcChannel, RpcReply, RpcRequest } from '../rpc/protocol';
import { START_TIMEOUT_MS, spawnWorker } from '../rpc/spawn';
import type { Engine, EngineConfig } from './engine';
import type { FlushResult } from './outbox';
import { ENGINE_METHODS, type EngineNews } from './protocol';

export interface Connection {
  engine: Engine;
  /** Where the engine runs: a worker of the page's, the page itself, nowhere, or the shopper's Aisle extension. */
  mode: 'worker' | 'main-thread' | 'detached' | 'extension';
}

type EngineApi = Record<(typeof ENGINE_METHODS)[number] | 'init', (...args: unknown[]) => Promise<unknown>>;

/** The engine's methods as calls over `channel`; `init` answers once it is ready. */
function overChannel(
  channel: RpcChannel<RpcReply | EngineNews, RpcRequest>,
  config: EngineConfig,
  onResult: (r: FlushResult) => void,
  logger: Logger,
): { ready: Promise<Engine>; fail(why: string): void } {
  const rpc = rpcClient<EngineApi, EngineNews>(channel, (news) => {
    if (news.type === 'sync') onResult(news.result);
    else logger.log(news.level, `worker: ${news.message}`);
  });
  return {
    ready: rpc.call('init', config).then((v) => ({
      storage: (v as { storage: Engine['storage'] }).storage,
      ...Object.fromEntries(ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => rpc.call(m, ...args)])),
    })) as Promise<Engine>,
    fail: rpc.fail,
  };
}

function viaWorker(
  scriptUrl: string,
  config: EngineConfig,
  onResult: (r: FlushResult) => void,
  logger: Logger,
): Promise<Engine> {
  const spawned = spawnWorker(scriptUrl, 'aisle-sync');
  const engine = overChannel(
    spawned.worker as unknown as RpcChannel<RpcReply | EngineNews, RpcRequest>,
    config,
    onResult,
    logger,
  );
  spawned.failed.then((why) => engine.fail(why));
  return engine.ready.then((e) => {
    spawned.started();
    return e;
  });
}

async function viaScript(scriptUrl: string, config: EngineConfig, onResult: (r: FlushResult) => void, logger: Logger) {
  const sync = await loadScript<{ createEngine: typeof import('./engine').createEngine }>(scriptUrl, '__aisleSync');
  return sync.createEngine(config, { onResult, logger });
}

/** An engine that keeps nothing: the exit beacon is then the only way out. Used only when aisle-sync.js cannot load at all. */
function detached(): Engine {
  const none = async () => undefined;
  return {
    storage: 'memory',
    commit: none,
    history: async () => [],
    count: async () => 0,
    clear: none,
    metaGet: none,
    metaSet: none,
    metaInit: async (_key, value) => value,
    metaDelete: none,
    flush: none,
    schedule: none,
  };
}

export async function connectEngine(
  scriptUrl: string,
  config: EngineConfig,
  onResult: (r: FlushResult) => void,
  logger: Logger,
  prefer: 'worker' | 'main-thread' = 'worker',
  extension?: Promise<MessagePort | undefined>,
): Promise<Connection> {
  // The shopper's Aisle extension keeps this store's events and syncs them, for every tab at once.
  const port = await extension;
  if (port) {
    port.start();
    const engine = overChannel(
      port as unknown as RpcChannel<RpcReply | EngineNews, RpcRequest>,
      config,
      onResult,
      logger,
    );
    const timer = setTimeout(() => engine.fail('the extension did not answer'), START_TIMEOUT_MS);
    try {
      return { engine: await engine.ready, mode: 'extension' };
    } catch (cause) {
      logger.log('info', 'the extension did not take over; syncing here', cause);
    } finally {
      clearTimeout(timer);
    }
  }
  if (prefer === 'worker' && typeof Worker === 'function') {
    try {
      return { engine: await viaWorker(scriptUrl, config, onResult, logger), mode: 'worker' };
    } catch (cause) {
      logger.log('info', 'no sync worker on this page; syncing on the main thread', cause);
    }
  }
  try {
    return { engine: await viaScript(scriptUrl, config, onResult, logger), mode: 'main-thread' };
  } catch (cause) {
    logger.log('error', 'could not load aisle-sync.js; events leave only by beacon', cause);
    return { engine: detached(), mode: 'detached' };
  }
}
