/**
 * @module rpc/protocol — what both ends of a worker (or extension port) say: a call by id, its
 * answer or error by the same id, and messages of the host's own that are neither (`type`).
 */

/** A call of `method` with `args`; `init` comes first. */
export interface RpcRequest {
  id: number;
  method: string;
  args: unknown[];
}

/** The answer to call `id`: its value, or the error message it threw. */
export interface RpcReply {
  id: number;
  value?: unknown;
  error?: string;
}

/** What carries messages: a worker, a `MessagePort`, the worker's own `self`, an adapted extension port. */
export interface RpcChannel<In, Out> {
  postMessage(message: Out): void;
  addEventListener(type: 'message', fn: (ev: MessageEvent<In>) => void): void;
}

/** An API as a map of methods, each answering with a promise. */
// biome-ignore lint/suspicious/noExplicitAny: any method shape may be served
export type RpcApi = Record<string, (...args: any[]) => Promise<unknown>>;
