/** @module sync/serve — the engine served over postMessage, as the sync worker runs it. */
import type { LogLevel } from '../capture/logger';
import { createEngine, type Engine, type EngineConfig, type EngineHooks } from './engine';
import type { FlushResult } from './outbox';

/** Messages from the page: a call of one engine method, or `init` first. */
export interface EngineRequest {
  id: number;
  method: keyof Engine | 'init';
  args: unknown[];
}

/** Messages to the page: a reply to a call, a sync result, or a log line. */
export type EngineMessage =
  | { id: number; value?: unknown; error?: string }
  | { type: 'sync'; result: FlushResult }
  | { type: 'log'; level: LogLevel; message: string };

export interface Port {
  postMessage(message: EngineMessage): void;
  addEventListener(type: 'message', fn: (ev: MessageEvent<EngineRequest>) => void): void;
  addEventListener(type: 'online', fn: () => void): void;
}

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
  port.addEventListener('message', async ({ data }) => {
    const { id, method, args } = data;
    try {
      if (method === 'init') {
        engine = createEngine(args[0] as EngineConfig, {
          ...options,
          logger,
          onResult: (result) => port.postMessage({ type: 'sync', result }),
        });
        port.postMessage({ id, value: { storage: (await engine).storage } });
        return;
      }
      if (!engine) throw new Error('engine not initialised');
      const e = (await engine) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      port.postMessage({ id, value: await e[method](...args) });
    } catch (err) {
      port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  // A worker hears the network come back too; the page does not have to tell it.
  port.addEventListener('online', () => void engine?.then((e) => e.flush()));
  return { engine: () => engine };
}
