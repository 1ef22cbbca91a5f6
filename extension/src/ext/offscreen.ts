/**
 * @module ext/offscreen — the extension's one host for every tab, in an offscreen document: each
 * store's events in a database of its own (the same sync engine the storefront script runs in its
 * worker), and one inference worker with one model cache for all stores (the same engine as
 * `aisle-infer.js`), so models download once per browser rather than once per site.
 */

const inference = new Worker(new URL('./infer-worker.ts', import.meta.url), { type: 'module', name: 'aisle-infer' });

import browser, { type Runtime } from 'webextension-polyfill';
import { type Port, serveEngine } from '../sync/serve';
import { type FetchReply, PORT, type ToBackground, type ToOffscreen } from './messages';

let paused = new Set<string>();
void browser.runtime.sendMessage({ type: 'paused-origins' } satisfies ToBackground).then((list) => {
  paused = new Set(list as string[]);
});
browser.runtime.onMessage.addListener((raw: unknown) => {
  const m = raw as ToOffscreen;
  if (m.type === 'paused') paused = new Set(m.origins);
  return undefined;
});

/** A runtime port as the engines' postMessage ports. */
function asPort(port: Runtime.Port) {
  let open = true;
  port.onDisconnect.addListener(() => {
    open = false;
  });
  return {
    postMessage: (message: unknown) => {
      if (open) port.postMessage(message);
    },
    addEventListener: (type: string, fn: (ev: { data: unknown }) => void) => {
      if (type === 'message') port.onMessage.addListener((data) => fn({ data }));
      else if (type === 'online') addEventListener('online', () => fn({ data: undefined }));
    },
  };
}

/**
 * Requests to the store's edge leave from the store's tab (its content script), so that they carry
 * the store's origin, which the edge's allow-list for the site key expects; from here they would
 * carry the extension's. With no tab of the store open, they fail as if offline and wait.
 */
function fetchThrough(port: Runtime.Port, origin: string): typeof fetch {
  const waiting = new Map<number, (reply: FetchReply) => void>();
  let next = 0;
  let open = true;
  port.onDisconnect.addListener(() => {
    open = false;
    for (const done of waiting.values()) done({ id: -1, error: 'the store’s tab is gone' });
    waiting.clear();
  });
  port.onMessage.addListener((m) => {
    const reply = (m as { aisleFetchReply?: FetchReply }).aisleFetchReply;
    if (reply) waiting.get(reply.id)?.(reply);
  });
  return async (input, init) => {
    if (paused.has(origin)) throw new TypeError('paused by the shopper');
    if (!open) throw new TypeError('no tab of this store is open');
    const id = ++next;
    const reply = await new Promise<FetchReply>((resolve) => {
      waiting.set(id, resolve);
      port.postMessage({
        aisleFetch: { id, url: String(input), method: init?.method, headers: init?.headers, body: init?.body },
      });
    });
    waiting.delete(id);
    if (reply.error !== undefined) throw new TypeError(reply.error);
    return new Response(reply.body ?? '', {
      status: reply.status,
      headers: reply.retryAfter ? { 'Retry-After': reply.retryAfter } : {},
    });
  };
}

browser.runtime.onConnect.addListener((port) => {
  const sender = port.sender;
  const origin =
    (sender as { origin?: string } | undefined)?.origin ?? (sender?.url ? new URL(sender.url).origin : undefined);
  // Only the content script on a store's tab: its origin names the store's database.
  if (!origin || sender?.tab === undefined) return;
  if (port.name === PORT.sync) {
    serveEngine(asPort(port) as unknown as Port, {
      dbName: `aisle-shopper ${origin}`,
      // A paused store sends nothing, not even what it had queued: it waits, as if offline.
      fetch: fetchThrough(port, origin),
    });
  } else if (port.name === PORT.infer) {
    // The tab's own channel to the one inference worker.
    const channel = new MessageChannel();
    inference.postMessage(null, [channel.port2]);
    const out = asPort(port);
    channel.port1.onmessage = (ev) => out.postMessage(ev.data);
    port.onMessage.addListener((m) => channel.port1.postMessage(m));
    port.onDisconnect.addListener(() => channel.port1.close());
  }
});
