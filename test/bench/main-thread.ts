/**
 * @module test/bench/main-thread — main-thread time the script adds per captured event in
 * Chromium: the same page, the same dataLayer pushes, with and without the tag, in the same run;
 * and what Snowplow's browser tracker and posthog-js add on the same page for the same pushes. Each
 * script's once-per-page work (navigation until settled) is measured apart from the events'.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aisleReady, launch, type TestBrowser } from '../helpers/browser';
import { startServer, tempSqlite } from '../helpers/server';
import { bundlePeer } from './peers/bundle';
import { median, type Row, report } from './report';

/** `AISLE_BENCH_EVENTS` for a shorter run. */
const EVENTS = Number(process.env.AISLE_BENCH_EVENTS ?? 2000);
const ROUNDS = Number(process.env.AISLE_BENCH_ROUNDS ?? 5);
const TARGET_MS = 0.1;
/** After load, long enough for every script's idle-time work (aisle.js loads its recommendations script when the page is idle). */
const SETTLE_MS = 3000;

const page = (tag: string) => `<!doctype html><html><head><title>Bench</title>
<script>window.dataLayer = window.dataLayer || [];</script>${tag}</head><body><main><h1>Bench</h1></main>
<script>
// One event per task, as a shopper's clicks arrive; a MessageChannel yields without setTimeout's 4 ms clamp.
const channel = new MessageChannel();
const nextTask = () => new Promise((r) => { channel.port1.onmessage = r; channel.port2.postMessage(0); });
window.pushEvents = async (n, how) => {
  for (let i = 0; i < n; i++) {
    const item = { item_id: 'SKU-' + i, item_name: 'Item ' + i, item_category: 'Shoes', price: 10 + (i % 7), quantity: 1 };
    if (how === 'track') window.aisle.track('add_to_wishlist', { items: [item] });
    else dataLayer.push({ event: 'add_to_cart', ecommerce: { currency: 'EUR', value: item.price, items: [item] } });
    await nextTask();
  }
  if (window.aisle) await window.aisle.flush();
};
</script></body></html>`;

/**
 * Main-thread task time (ms) of a page with `html`: from navigation until its scripts have settled
 * (`startup`: what each script does once per page, its idle-time loading included), and over the
 * `EVENTS` pushes that follow (`events`). Separated, or a script's start-up would be counted as
 * per-event cost (a short run amortises it over few events).
 */
async function taskMs(browser: TestBrowser, url: string, html: string, how: 'datalayer' | 'track', peer?: string) {
  const p = await browser.isolatedPage();
  const cdp = await p.createCDPSession();
  await cdp.send('Performance.enable');
  const read = async () =>
    ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0) * 1000;
  const start = await read();
  await p.goto(url, { waitUntil: 'networkidle0' });
  if (html.includes('aisle.js')) await aisleReady(p);
  // The peer's bundle ran (its IIFE's global is there), or the row would measure an empty page.
  if (peer && !(await p.evaluate((g) => g in window, `${peer}Bench`))) throw new Error(`${peer} did not run`);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const before = await read();
  await p.evaluate(
    (n, h) => (window as unknown as { pushEvents(n: number, h: string): Promise<void> }).pushEvents(n, h),
    EVENTS,
    how,
  );
  const after = await read();
  await p.browserContext().close();
  return { startup: before - start, events: after - before };
}

export async function benchMainThread() {
  const db = tempSqlite();
  const server = await startServer(db.storage, {
    rateLimit: { perClient: 1e9, perSite: 1e9, perClientAllRoutes: 1e9 },
  });
  const browser = await launch();
  const tag = '<script async src="/aisle.js" data-site="demo"></script>';
  const perEvent: Record<string, number[]> = { datalayer: [], track: [], snowplow: [], posthog: [] };
  const startup: Record<string, number[]> = { aisle: [], snowplow: [], posthog: [] };
  const baseline: number[] = [];
  // The peers' collector: answers every request as a collector that took it does (a failing one
  // would have them queue and retry, which aisle.js, whose edge takes its events, never does here).
  const collector = createServer((req, res) => {
    res.writeHead(200, {
      'Access-Control-Allow-Origin': req.headers.origin ?? '*',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Content-Type',
      'Content-Type': 'application/json',
    });
    req.resume();
    req.on('end', () => res.end('{"status":1}'));
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  // The peers, configured for the same events, each as a script of the page's own origin.
  const peers = {} as Record<'snowplow' | 'posthog', string>;
  for (const name of ['snowplow', 'posthog'] as const) {
    const src = server.page((await bundlePeer(name)).toString('utf8'), {
      'Content-Type': 'text/javascript; charset=utf-8',
    });
    peers[name] = `<script src="${src}" data-collector="${collectorUrl}"></script>`;
  }
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const without = await taskMs(browser, server.page(page('')), page(''), 'datalayer');
      const withDl = await taskMs(browser, server.page(page(tag)), page(tag), 'datalayer');
      const withTrack = await taskMs(browser, server.page(page(tag)), page(tag), 'track');
      baseline.push(without.events / EVENTS);
      perEvent.datalayer.push((withDl.events - without.events) / EVENTS);
      perEvent.track.push((withTrack.events - without.events) / EVENTS);
      startup.aisle.push(withDl.startup - without.startup);
      for (const name of ['snowplow', 'posthog'] as const) {
        const html = page(peers[name]);
        const run = await taskMs(browser, server.page(html), html, 'datalayer', name);
        perEvent[name].push((run.events - without.events) / EVENTS);
        startup[name].push(run.startup - without.startup);
      }
    }
    const stored = (await server.storage.stats()).events;
    const rows: Row[] = [
      { metric: 'page without the tag: main thread per dataLayer push', value: median(baseline), unit: 'ms' },
      {
        metric: 'added by the tag per dataLayer event (capture, IndexedDB, sync)',
        value: median(perEvent.datalayer),
        unit: 'ms',
        reference: `target <= ${TARGET_MS} ms`,
        pass: median(perEvent.datalayer) <= TARGET_MS,
      },
      {
        metric: 'added by the tag per aisle.track() event',
        value: median(perEvent.track),
        unit: 'ms',
        reference: `target <= ${TARGET_MS} ms`,
        pass: median(perEvent.track) <= TARGET_MS,
      },
      ...(['snowplow', 'posthog'] as const).map((name) => ({
        metric: `added by ${name === 'snowplow' ? "Snowplow's browser tracker (+ e-commerce plugin)" : 'posthog-js'} per dataLayer event, same page and events`,
        value: median(perEvent[name]),
        unit: 'ms',
        reference: `${(median(perEvent[name]) / median(perEvent.datalayer)).toFixed(1)}× aisle.js`,
      })),
      ...(['aisle', 'snowplow', 'posthog'] as const).map((name) => ({
        metric: `added by ${name === 'aisle' ? 'aisle.js (with aisle-recs.js, loaded when idle)' : name === 'snowplow' ? "Snowplow's browser tracker" : 'posthog-js'} once per page, from navigation to settled`,
        value: median(startup[name]),
        unit: 'ms',
        reference:
          name === 'aisle' ? undefined : `${(median(startup[name]) / median(startup.aisle)).toFixed(1)}× aisle.js`,
      })),
    ];
    report(
      'main-thread',
      `Main-thread time per captured event in Chromium (${EVENTS} events, median of ${ROUNDS} rounds; ${stored} events reached the server)`,
      rows,
      {
        perEvent,
        startup,
        baseline,
      },
    );
    return rows;
  } finally {
    collector.close();
    await browser.close();
    await server.close();
    db.remove();
  }
}
