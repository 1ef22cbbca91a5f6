/**
 * @module rpc/server — an API served over a channel: each call answered by its id with the method's
 * value, or with the message of what it threw. `onReply` sees every exchange (the extension's
 * inspector listens there).
 */
import type { RpcApi, RpcChannel, RpcReply, RpcRequest } from './protocol';

export function serveRpc<Out = never>(
  channel: RpcChannel<RpcRequest, RpcReply | Out>,
  api: RpcApi,
  onReply?: (request: RpcRequest, reply: RpcReply) => void,
): void {
  channel.addEventListener('message', async ({ data }) => {
    const { id, method, args } = data;
    let reply: RpcReply;
    try {
      const fn = Object.hasOwn(api, method) ? api[method] : undefined;
      if (!fn) throw new Error(`no method ${method}`);
      reply = { id, value: await fn(...args) };
    } catch (error) {
      reply = { id, error: error instanceof Error ? error.message : String(error) };
    }
    channel.postMessage(reply);
    onReply?.(data, reply);
  });
}
