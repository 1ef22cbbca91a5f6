/**
 * @module rpc/client — calls to a host over a channel, each answered by its id. Messages that are
 * no answer (the host's own news: a sync result, a log line) go to `onMessage`.
 */
import type { RpcApi, RpcChannel, RpcReply, RpcRequest } from './protocol';

export interface RpcClient<Api extends RpcApi> {
  call<M extends keyof Api & string>(method: M, ...args: Parameters<Api[M]>): ReturnType<Api[M]>;
  /** Rejects every call still waiting, with `why`. */
  fail(why: string): void;
}

export function rpcClient<Api extends RpcApi, Other = never>(
  channel: RpcChannel<RpcReply | Other, RpcRequest>,
  onMessage: (message: Other) => void = () => {},
): RpcClient<Api> {
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  channel.addEventListener('message', ({ data }) => {
    if (!data || typeof data !== 'object' || !('id' in data)) return onMessage(data as Other);
    const reply = data as RpcReply;
    const call = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.error !== undefined) call?.reject(new Error(reply.error));
    else call?.resolve(reply.value);
  });
  return {
    call(method, ...args) {
      return new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        channel.postMessage({ id, method, args });
      }) as ReturnType<Api[typeof method]>;
    },
    fail(why) {
      for (const call of waiting.values()) call.reject(new Error(why));
      waiting.clear();
    },
  };
}
