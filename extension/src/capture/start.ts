/** @module capture/start — wires every collector and the page lifecycle to a tracker. */

import { guard } from '../core/logger';
import { attributeClicksCollector, scanAttributes } from './attributes';
import { dataLayerCollector } from './datalayer';
import { createEngagement } from './engagement';
import { scanJsonLd } from './json-ld';
import { searchCollector } from './search';
import type { Tracker } from './tracker';

/** Starts capture on the current page: page view, dataLayer, markup, search, engagement, lifecycle. Returns how to stop. */
export function startCapture(tracker: Tracker): () => void {
  const ctx = tracker.context;
  const { win, doc, log } = ctx;
  const stops: (() => void)[] = [];
  const safe = <A extends unknown[]>(where: string, fn: (...a: A) => void) => guard(log, where, fn);

  ctx.emit('page_view');
  stops.push(dataLayerCollector(ctx));

  let stopScan: (() => void) | undefined;
  const scan = safe('page scan', () => {
    stopScan?.();
    scanJsonLd(ctx);
    stopScan = scanAttributes(ctx);
  });
  const engagement = createEngagement(ctx);
  // Dwell on the page before an erasure is the old identity's: never reported under the new one.
  const unsubscribe = tracker.on('erased', () => engagement.forget());
  stops.push(engagement.stop, unsubscribe, () => stopScan?.());

  const onDom = safe('capture start', () => {
    scan();
    stops.push(attributeClicksCollector(ctx), searchCollector(ctx));
  });
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', onDom, { once: true });
  else onDom();

  // Single-page stores change routes with the History API; each route is a page.
  const onRoute = safe('route change', () => {
    engagement.report();
    tracker.navigated();
    engagement.restart();
    // Give the router a moment to render the new route before reading its markup.
    win.setTimeout(scan, 300);
  });
  const history = win.history;
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      onRoute();
      return result;
    };
    stops.push(() => {
      history[method] = original;
    });
  }

  const onHidden = safe('visibility change', () => {
    if (doc.visibilityState === 'hidden') tracker.hidden();
  });
  const onLeave = safe('page hide', () => {
    engagement.report();
    tracker.leaving();
  });
  const onOnline = safe('online', () => void tracker.flush());
  win.addEventListener('popstate', onRoute);
  win.addEventListener('pagehide', onLeave);
  win.addEventListener('online', onOnline);
  // After engagement's own listener, which reports the dwell first.
  doc.addEventListener('visibilitychange', onHidden);
  stops.push(() => {
    win.removeEventListener('popstate', onRoute);
    win.removeEventListener('pagehide', onLeave);
    win.removeEventListener('online', onOnline);
    doc.removeEventListener('visibilitychange', onHidden);
  });
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}
