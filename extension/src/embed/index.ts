/** @module embed — the storefront script: `<script async src="https://EDGE/aisle.js" data-site="KEY">`. */

import { startCapture } from '../capture/start';
import { createTracker } from '../capture/tracker';
import { guard } from '../core/logger';
import { startInferenceLater } from '../infer/later';
import { connectEngine } from '../sync/connect';
import type { AisleApi } from './api';
import { readConfig } from './config';

export type { AisleApi, AisleStatus, AisleWindow } from './api';

declare const __AISLE_VERSION__: string;

type Queued = [keyof AisleApi, ...unknown[]];

/**
 * Where the shopper runs the Aisle extension, its content script marks the page before any script
 * runs (`data-aisle-extension` on <html>) and hands over two ports on request: this store's events
 * are then kept and sent by the extension, and inference runs in its one host for every tab.
 */
function extensionPorts(): Promise<MessagePort[] | undefined> | undefined {
  if (!document.documentElement.dataset.aisleExtension) return undefined;
  return new Promise((resolve) => {
    const done = (ports?: MessagePort[]) => {
      window.removeEventListener('message', onMessage);
      clearTimeout(timer);
      resolve(ports);
    };
    const onMessage = (ev: MessageEvent) => {
      if (ev.source === window && ev.data?.aisle === 'ports' && ev.ports.length === 2) done([...ev.ports]);
    };
    const timer = setTimeout(done, 3000);
    window.addEventListener('message', onMessage);
    window.postMessage({ aisle: 'connect' }, location.origin);
  });
}

function install() {
  const w = window as Window & { aisle?: unknown };
  // A second copy of the tag on the page must not capture everything twice.
  if (w.aisle && typeof w.aisle === 'object' && 'version' in w.aisle) return;
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>('script[data-site][src*="aisle"]');
  const config = readConfig(script, location.href);
  if (!config) {
    console.warn('[aisle] the script tag needs data-site="SITE_KEY"; nothing is captured');
    return;
  }
  // The shopper paused Aisle on this store in the extension: nothing is captured.
  if (document.documentElement.dataset.aisleExtension === 'paused') return;
  const ports = extensionPorts();
  const queued = Array.isArray(w.aisle) ? (w.aisle as Queued[]) : [];
  // The sync script comes from where this one came from, versioned so that caches never mix releases.
  const syncUrl = `${config.endpoint}/aisle-sync.js?v=${__AISLE_VERSION__}`;
  const prefer = script?.dataset.sync === 'main-thread' ? 'main-thread' : 'worker';
  const tracker = createTracker(config, {
    win: window,
    doc: document,
    connect: (engineConfig, onResult, logger) =>
      connectEngine(
        syncUrl,
        engineConfig,
        onResult,
        logger,
        prefer,
        ports?.then((p) => p?.[0]),
      ),
  });
  const { log } = tracker.context;
  // Capture starts in a task of its own, queued before anything the inference start queues: the
  // script's first run stays short on a slow phone (its setup and the page's scan together made it
  // a long task at 4x CPU), and what capture reads first (the page's product) is there when asked.
  // Anything the page does meanwhile through `window.aisle` or the History API starts it at once,
  // first: the page view and the stub's queued calls still come before that call, and a route
  // change is still seen as one.
  let started = false;
  const unhook: (() => void)[] = [];
  const start = () => {
    if (started) return;
    started = true;
    for (const restore of unhook) restore();
    guard(log, 'capture start', startCapture)(tracker);
    // Calls made before the script loaded, through the stub `window.aisle = window.aisle || []`;
    // one the page got wrong is logged and skipped, never thrown into the page.
    for (const call of queued)
      guard(log, 'queued call', () => {
        const [method, ...args] = call;
        const fn = api[method];
        if (typeof fn === 'function') (fn as (...a: unknown[]) => unknown)(...args);
      })();
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    const hook: History['pushState'] = function (this: History, ...args) {
      const ours = history[method] === hook;
      start();
      // Capture wrapped the original in place of this hook; where another script wrapped this hook meanwhile, it stays in its chain.
      return (ours ? history[method] : original).apply(this, args);
    };
    history[method] = hook;
    unhook.push(() => {
      if (history[method] === hook) history[method] = original;
    });
  }
  window.setTimeout(start, 0);
  const data = script?.dataset ?? {};
  const inference =
    data.inference === 'off'
      ? undefined
      : guard(log, 'inference start', startInferenceLater)(
          tracker,
          {
            endpoint: config.endpoint,
            scriptUrl: `${config.endpoint}/aisle-infer.js?v=${__AISLE_VERSION__}`,
            recsUrl: `${config.endpoint}/aisle-recs.js?v=${__AISLE_VERSION__}`,
            backend: (['webgpu', 'webgl', 'wasm', 'cpu'] as const).find((b) => b === data.backend),
            k: Math.min(24, Math.max(1, Number.parseInt(data.recommendations ?? '', 10) || 4)),
            perCategory: Math.min(24, Math.max(1, Number.parseInt(data.perCategory ?? '', 10))) || undefined,
            riskThreshold: Number.parseFloat(data.riskThreshold ?? '') || undefined,
            site: config.site,
            key: data.key?.trim() || undefined,
            port: ports?.then((p) => p?.[1]),
            // A first visit's first page from the edge: unsigned (see SECURITY.md), so off where the tag pins
            // a key, unless the merchant says `on`.
            firstPage: data.firstPage === 'on' || (data.firstPage !== 'off' && !data.key?.trim()),
          },
          tracker.fire,
        );
  const settle = <T>(where: string, p: () => Promise<T>) =>
    Promise.resolve()
      .then(p)
      .catch((cause) => {
        log.log('error', `${where} failed`, cause);
        return undefined as T;
      });
  const api: AisleApi = {
    version: __AISLE_VERSION__,
    track: (type, props) => guard(log, 'aisle.track', tracker.track)(type, props),
    identify: (userId, options) => settle('aisle.identify', () => tracker.identify(userId, options)),
    consent: (update) => settle('aisle.consent', () => tracker.consent(update)),
    on: (name, fn) => guard(log, 'aisle.on', tracker.on)(name, fn) ?? (() => false),
    status: () =>
      settle('aisle.status', async () => {
        const s = await tracker.status();
        const i = inference?.status();
        return { ...s, ...(i ?? {}), backend: i?.backend ?? null, models: i?.models ?? {} };
      }),
    history: (limit) => settle('aisle.history', () => tracker.history(limit)),
    flush: () => settle('aisle.flush', tracker.flush),
    erase: () => settle('aisle.erase', tracker.erase),
    me: () => settle('aisle.me', tracker.me),
  };
  for (const [name, fn] of Object.entries(api))
    if (typeof fn === 'function')
      (api as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        start();
        return fn(...args);
      };
  w.aisle = api;
}

try {
  install();
} catch (cause) {
  console.warn('[aisle] could not start', cause);
}
