/**
 * @module ext/content — the content script on a store the shopper enabled. It marks the page before
 * any script runs, so the store's own tag hands over: the tag keeps capturing (it alone sees the
 * page's dataLayer), and on its request gets two ports, relayed here to the extension's one host
 * for every tab — events kept and sent there, inference run there. It never reads the page's forms;
 * it sees only what the tag sends, checks each event against the shared schema for the inspector,
 * and remembers the last recommendations for the popup.
 */

// First: zod without code made at run time, which an extension's Content-Security-Policy refuses.
import '@aisle/shared-models/util/no-eval';
import { validateEvent } from '@aisle/shared-models/schema/validate';
import browser from 'webextension-polyfill';
import type { RecommendResult } from '../infer/protocol';
import type { RpcReply, RpcRequest } from '../rpc/protocol';
import {
  type FetchReply,
  type FetchRequest,
  type InspectedEvent,
  type PageInfo,
  PORT,
  type ToBackground,
  type ToContent,
} from './messages';

document.documentElement.dataset.aisleExtension = 'on';

let connected = false;
let recommendations: RecommendResult | null = null;
const send = (m: ToBackground) => browser.runtime.sendMessage(m).catch(() => undefined);

/** Carries messages both ways between the page's port and a runtime port to the host. */
function relay(page: MessagePort, name: string, watch: (fromPage: boolean, data: unknown) => void) {
  let host = browser.runtime.connect({ name });
  const open = () => {
    host.onMessage.addListener((m) => {
      const request = (m as { aisleFetch?: FetchRequest }).aisleFetch;
      if (request) return void fetchFor(host, request);
      look(false, m);
      page.postMessage(m);
    });
    // The host may be closed and reopened by the browser: reconnect on the next message.
    host.onDisconnect.addListener(() => {
      host = undefined as unknown as typeof host;
    });
  };
  open();
  const look = (fromPage: boolean, data: unknown) => {
    try {
      watch(fromPage, data);
    } catch {
      // What the inspector or popup would have seen is lost; the relay itself goes on.
    }
  };
  page.onmessage = (ev) => {
    look(true, ev.data);
    if (!host) {
      host = browser.runtime.connect({ name });
      open();
    }
    host.postMessage(ev.data);
  };
}

/** Sends a request of the host's from this page, so that it carries the store's origin; only to the tag's own edge. */
async function fetchFor(host: ReturnType<typeof browser.runtime.connect>, request: FetchRequest) {
  const reply = (r: Omit<FetchReply, 'id'>) => host?.postMessage({ aisleFetchReply: { id: request.id, ...r } });
  const tag = document.querySelector<HTMLScriptElement>('script[data-site][src*="aisle"]');
  const edge = tag ? new URL(tag.src, location.href).origin : null;
  if (!edge || new URL(request.url, location.href).origin !== edge) return reply({ error: 'not the store’s edge' });
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      credentials: 'omit',
    });
    reply({ status: res.status, body: await res.text(), retryAfter: res.headers.get('Retry-After') ?? undefined });
  } catch (error) {
    reply({ error: (error as Error).message });
  }
}

const pendingRecommend = new Set<number>();

window.addEventListener('message', async (ev) => {
  if (ev.source !== window || ev.data?.aisle !== 'connect' || connected) return;
  connected = true;
  await send({ type: 'ensure-offscreen' });
  const sync = new MessageChannel();
  const infer = new MessageChannel();
  relay(sync.port1, PORT.sync, (fromPage, data) => {
    const request = data as RpcRequest;
    if (!fromPage || request.method !== 'commit') return;
    const events = (request.args[0] ?? []) as Record<string, unknown>[];
    const inspected: InspectedEvent[] = events.map((event) => ({
      event,
      errors: validateEvent(event).errors,
      at: Date.now(),
    }));
    void send({ type: 'inspect', events: inspected });
  });
  relay(infer.port1, PORT.infer, (fromPage, data) => {
    if (fromPage) {
      const request = data as RpcRequest;
      if (request.method === 'recommend') pendingRecommend.add(request.id);
      return;
    }
    const { id, value: answer } = data as RpcReply;
    if (pendingRecommend.delete(id) && answer) recommendations = answer as RecommendResult;
  });
  window.postMessage({ aisle: 'ports' }, location.origin, [sync.port2, infer.port2]);
});

browser.runtime.onMessage.addListener(async (raw: unknown) => {
  if ((raw as ToContent).type !== 'page') return undefined;
  const tag = document.querySelector<HTMLScriptElement>('script[data-site][src*="aisle"]');
  const info: PageInfo = {
    origin: location.origin,
    site: tag?.dataset.site ?? null,
    endpoint: tag ? new URL(tag.src, location.href).origin : null,
    connected,
    recommendations,
  };
  return info;
});
