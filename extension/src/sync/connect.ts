/**
 * @module sync/connect — reaches the engine from the page: in a worker when the page allows one
 * (created from a blob that imports `aisle-sync.js`, so it works from any origin), else by loading
 * the same script on the main thread.
 */
import type { Logger } from '../capture/logger';
import type { Engine, EngineConfig } from './engine';
import type { FlushResult } from './outbox';
import type { EngineMessage, EngineRequest } from './serve';

export interface Connection {
  engine: Engine;
  /** Where the engine runs: a worker of the page's, the page itself, nowhere, or the shopper's Aisle extension. */
  mode: 'worker' | 'main-thread' | 'detached' | 'extension';
}

/** What the engine is reached through: a worker, or a port to the extension. */
type Channel = Pick<Worker, 'postMessage'> & {
  addEventListener(type: 'message', fn: (ev: MessageEvent<EngineMessage>) => void): void;
};

/** The engine's methods as calls over `channel`; `init` answers once it is ready. */
function overChannel(
  channel: Channel,
  config: EngineConfig,
  onResult: (r: FlushResult) => void,
  logger: Logger,
): { ready: Promise<Engine>; fail(why: string): void } {
  const calls = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  const call = (method: EngineRequest['method'], args: unknown[]) =>
    new Promise<unknown>((res, rej) => {
      const id = ++next;
      calls.set(id, { resolve: res, reject: rej });
      channel.postMessage({ id, method, args } satisfies EngineRequest);
    });
  channel.addEventListener('message', ({ data }) => {
    if ('type' in data) {
      if (data.type === 'sync') onResult(data.result);
      else logger.log(data.level, `worker: ${data.message}`);
      return;
    }
    const pending = calls.get(data.id);
    calls.delete(data.id);
    if (data.error !== undefined) pending?.reject(new Error(data.error));
    else pending?.resolve(data.value);
  });
  const method =
    (name: EngineRequest['method']) =>
    (...args: unknown[]) =>
      call(name, args);
  return {
    ready: call('init', [config]).then((v) => {
      const { storage } = v as { storage: Engine['storage'] };
      return {
        storage,
        commit: method('commit'),
        history: method('history'),
        count: method('count'),
        clear: method('clear'),
        metaGet: method('metaGet'),
        metaSet: method('metaSet'),
        metaDelete: method('metaDelete'),
        flush: method('flush'),
        schedule: method('schedule'),
      } as Engine;
    }),
    fail(why) {
      for (const p of calls.values()) p.reject(new Error(why));
      calls.clear();
    },
  };
}

/** Loading aisle-sync.js over a slow network takes a while; a worker that has not answered by then is given up. */
const CONNECT_TIMEOUT_MS = 15_000;

function viaWorker(
  scriptUrl: string,
  config: EngineConfig,
  onResult: (r: FlushResult) => void,
  logger: Logger,
): Promise<Engine> {
  return new Promise((resolve, reject) => {
    const blob = new Blob([`importScripts(${JSON.stringify(scriptUrl)})`], { type: 'text/javascript' });
    const blobUrl = URL.createObjectURL(blob);
    const worker = new Worker(blobUrl, { name: 'aisle-sync' });
    const engine = overChannel(worker as unknown as Channel, config, onResult, logger);
    // A Content-Security-Policy that forbids blob: workers blocks this one without an error event; it reports a violation instead.
    const onViolation = (ev: SecurityPolicyViolationEvent) => {
      if (ev.blockedURI.startsWith('blob') || ev.blockedURI === blobUrl)
        fail(`the page's policy forbids workers (${ev.effectiveDirective})`);
    };
    document.addEventListener('securitypolicyviolation', onViolation);
    const fail = (why: string) => {
      document.removeEventListener('securitypolicyviolation', onViolation);
      worker.terminate();
      URL.revokeObjectURL(blobUrl);
      engine.fail(why);
      reject(new Error(why));
    };
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      fail(`the sync worker failed: ${ev.message || 'could not load aisle-sync.js'}`);
    });
    const timer = setTimeout(() => fail('the sync worker did not start in time'), CONNECT_TIMEOUT_MS);
    engine.ready.then((e) => {
      clearTimeout(timer);
      document.removeEventListener('securitypolicyviolation', onViolation);
      URL.revokeObjectURL(blobUrl);
      resolve(e);
    }, reject);
  });
}

function viaScript(scriptUrl: string, config: EngineConfig, onResult: (r: FlushResult) => void, logger: Logger) {
  return new Promise<Engine>((resolve, reject) => {
    const g = globalThis as { __aisleSync?: { createEngine: typeof import('./engine').createEngine } };
    const ready = () => g.__aisleSync?.createEngine(config, { onResult, logger }).then(resolve, reject);
    if (g.__aisleSync) return void ready();
    const script = document.createElement('script');
    script.src = scriptUrl;
    script.async = true;
    script.onload = () => (g.__aisleSync ? ready() : reject(new Error('aisle-sync.js did not load')));
    script.onerror = () => reject(new Error('aisle-sync.js did not load'));
    // A script element in <head> adds nothing to the layout.
    document.head.appendChild(script);
  });
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
    const engine = overChannel(port as unknown as Channel, config, onResult, logger);
    const timer = setTimeout(() => engine.fail('the extension did not answer'), CONNECT_TIMEOUT_MS);
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
