/**
 * Consent, Global Privacy Control, identity hashing, erasure, and the promise that nothing the
 * page does — or feeds the script — makes it throw, add DOM, or capture a form value.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AisleWindow, aisleReady, chromiumAvailable, type TestPage, until } from '../helpers/browser';
import { useServerAndBrowser } from '../helpers/e2e';

const productPage = (tag: string, extra = '') => `<!doctype html><html><head><title>Test product</title>
<script>window.dataLayer = window.dataLayer || [];</script>${tag}</head><body>
<main data-aisle-item="SKU-T1" data-aisle-name="Test Boot" data-aisle-price="50" data-aisle-category="Shoes">
<h1>Test Boot</h1><button id="add" data-aisle-action="add_to_cart" data-aisle-currency="EUR">Add</button></main>${extra}</body></html>`;

const TAG = '<script async src="/aisle.js" data-site="demo"></script>';
const OPT_IN_TAG = '<script async src="/aisle.js" data-site="demo" data-consent="opt-in"></script>';

describe.runIf(chromiumAvailable())('privacy and robustness in Chromium', () => {
  const e2e = useServerAndBrowser();

  /** Opens `html` at a fresh path of the server's origin, in a fresh shopper's browser context. */
  async function open(
    html: string,
    before?: (page: TestPage) => Promise<unknown>,
    headers: Record<string, string> = {},
  ): Promise<TestPage> {
    const page = await e2e.browser.isolatedPage();
    const url = e2e.server.page(html, headers);
    await before?.(page);
    await page.goto(url, { waitUntil: 'load' });
    await aisleReady(page);
    return page;
  }
  const call = <T>(page: TestPage, fn: (a: AisleWindow['aisle']) => Promise<T> | T) =>
    page.evaluate(`(${fn.toString()})(window.aisle)`) as Promise<T>;
  const serverEventsOf = async (anonymousId: string) =>
    (await e2e.server.storage.events({ limit: 10_000 }))
      .map((s) => s.event)
      .filter((e) => e.anonymous_id === anonymousId);
  /** The anonymous id as stored in the shopper's IndexedDB (once the script has created it). */
  const anonymousIdOf = (page: TestPage) =>
    page.evaluate(
      async () =>
        (await (window as unknown as AisleWindow).aisle.status()) &&
        new Promise<string>((resolve, reject) => {
          const req = indexedDB.open('aisle-shopper');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const get = req.result.transaction('meta').objectStore('meta').get('ids');
            get.onsuccess = () => resolve(get.result.anonymous_id);
          };
        }),
    );

  it('in opt-in mode keeps everything in memory until the shopper agrees, then sends this page', async () => {
    const page = await open(productPage(OPT_IN_TAG));
    await page.click('#add');
    await call(page, (a) => a.flush());
    expect(await call(page, (a) => a.history())).toEqual([]);
    const id = await anonymousIdOf(page);
    expect(await serverEventsOf(id)).toEqual([]);
    expect((await call(page, (a) => a.status())).queued).toBeGreaterThanOrEqual(3);

    await call(page, (a) => a.consent({ analytics: true, personalization: true }));
    await call(page, (a) => a.flush());
    expect((await serverEventsOf(id)).map((e) => e.type).sort()).toEqual(['add_to_cart', 'page_view', 'view_item']);

    // The choice is remembered on the next page.
    await page.reload({ waitUntil: 'load' });
    await aisleReady(page);
    await call(page, (a) => a.flush());
    expect((await serverEventsOf(id)).filter((e) => e.type === 'page_view')).toHaveLength(2);
    expect(page.errors).toEqual([]);
  });

  it('in opt-in mode drops everything when the shopper declines', async () => {
    const today = Math.floor(Date.now() / 86_400_000);
    const counted = async () =>
      (await e2e.server.storage.rollups.overview({ site: 'demo', from: today, to: today })).consent;
    const before = await counted();
    const page = await open(productPage(OPT_IN_TAG));
    const receipts: Promise<string | undefined>[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/consent')) receipts.push(r.fetchPostData());
    });
    await page.click('#add');
    await call(page, (a) => a.consent({ analytics: false, personalization: false }));
    // The same choice again is not counted twice.
    await call(page, (a) => a.consent({ analytics: false, personalization: false }));
    await page.click('#add');
    await call(page, (a) => a.flush());
    expect(await call(page, (a) => a.history())).toEqual([]);
    expect((await call(page, (a) => a.status())).queued).toBe(0);
    expect(await serverEventsOf(await anonymousIdOf(page))).toEqual([]);
    // What did leave: the choice alone, counted for the merchant's consent rate, naming no one.
    await until('the choice counted', async () => (await counted()).decisions === before.decisions + 1);
    expect(await counted()).toEqual({ ...before, decisions: before.decisions + 1 });
    expect(await Promise.all(receipts)).toEqual(['{"analytics":false,"personalization":false}']);
  });

  it('honours Global Privacy Control: nothing leaves the device, on-device history still works', async () => {
    const page = await open(productPage(TAG), (p) =>
      p.evaluateOnNewDocument(() =>
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
      ),
    );
    await page.click('#add');
    await call(page, (a) => a.flush());
    const status = await call(page, (a) => a.status());
    expect(status.consent).toMatchObject({ gpc: true, analytics: false });
    expect((await call(page, (a) => a.history())).map((e) => e.type)).toContain('add_to_cart');
    expect(await serverEventsOf(await anonymousIdOf(page))).toEqual([]);
  });

  it('sends nothing more once analytics consent is withdrawn, not even what was queued', async () => {
    const page = await open(productPage(TAG));
    await call(page, (a) => a.flush());
    const id = await anonymousIdOf(page);
    const before = (await serverEventsOf(id)).length;
    await page.setOfflineMode(true);
    await page.click('#add');
    await call(page, (a) => a.flush());
    await call(page, (a) => a.consent({ analytics: false }));
    await page.setOfflineMode(false);
    await page.click('#add');
    await call(page, (a) => a.flush());
    await new Promise((r) => setTimeout(r, 500));
    expect((await serverEventsOf(id)).length).toBe(before);
  });

  it('hashes the shopper id on the device, salted with the site key', async () => {
    const page = await open(productPage(TAG));
    await call(page, (a) => a.identify('jane@example.com'));
    await page.click('#add');
    await call(page, (a) => a.flush());
    const events = await serverEventsOf(await anonymousIdOf(page));
    const expected = createHash('sha256').update('demo:jane@example.com').digest('hex');
    expect(events.find((e) => e.type === 'add_to_cart')?.user_id).toBe(expected);
    expect(JSON.stringify(events)).not.toContain('jane@example.com');
  });

  it('erases the local history and starts a new anonymous id on request', async () => {
    const page = await open(productPage(TAG));
    const before = await anonymousIdOf(page);
    await page.click('#add');
    await new Promise((r) => setTimeout(r, 50));
    // Over a second on the product page: dwell the next route change or hide would report.
    await new Promise((r) => setTimeout(r, 1100));
    await call(page, (a) => a.erase());
    expect(await call(page, (a) => a.history())).toEqual([]);
    expect((await call(page, (a) => a.status())).queued).toBe(0);
    expect(await anonymousIdOf(page)).not.toBe(before);
    // The dwell before the erasure is the old identity's: a route change right after reports none of
    // it under the new one (it used to, with the product seen before), only the new page's view.
    await page.evaluate(() => history.pushState({}, '', '/next'));
    await call(page, (a) => a.flush());
    expect((await call(page, (a) => a.history())).map((e) => e.type)).toEqual(['page_view']);
  });

  it('never captures values of forms other than search', async () => {
    const forms = `<form id="news"><input name="email"><input type="password" name="pw"><button>Join</button></form>
      <form id="find"><input type="search" name="query"><button>Go</button></form>
      <script>for (const f of document.forms) f.addEventListener('submit', (e) => e.preventDefault());</script>`;
    const page = await open(productPage(TAG, forms));
    await page.type('#news input[name=email]', 'secret.person@example.com');
    await page.type('#news input[name=pw]', 'hunter2');
    await page.click('#news button');
    await page.type('#find input', 'wool socks');
    await page.click('#find button');
    await call(page, (a) => a.flush());
    const events = await serverEventsOf(await anonymousIdOf(page));
    expect(events.filter((e) => e.type === 'search').map((e) => e.search_term)).toEqual(['wool socks']);
    const text = JSON.stringify(events);
    expect(text).not.toContain('secret.person');
    expect(text).not.toContain('hunter2');
  });

  it('survives whatever the page throws at it and keeps capturing', async () => {
    const hostile = `<script type="application/ld+json">{ not json</script>
      <script type="application/ld+json">{"@type":"Product","offers":"free"}</script>
      <script>
        const loop = {}; loop.self = loop;
        dataLayer.push(null, 7, 'x', loop, { event: 'add_to_cart', ecommerce: { items: 'many' } });
        dataLayer.push({ event: 'purchase', ecommerce: { value: 'a lot', currency: 'euros', items: [{ price: 1 }] } });
        window.pushResult = dataLayer.push({ event: 'noop' });
      </script>`;
    const page = await open(productPage(TAG, hostile));
    await page.evaluate(() => {
      const a = (window as unknown as AisleWindow).aisle as unknown as Record<string, (...args: unknown[]) => unknown>;
      const evil = {
        get value() {
          throw new Error('getter');
        },
      };
      a.track(undefined);
      a.track('Not Allowed!');
      a.track('like', evil);
      a.track(Symbol('x') as unknown as string);
      a.on(123 as unknown as string, 'not a function');
      a.on('event', () => {
        throw new Error('listener');
      });
      a.consent('yes');
      a.identify({ toString: null });
      a.track('like', { item_id: 'SKU-T1' });
    });
    await call(page, (a) => a.flush());
    expect(page.errors).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { pushResult: unknown }).pushResult)).toBeTypeOf('number');
    const types = (await serverEventsOf(await anonymousIdOf(page))).map((e) => e.type);
    expect(types).toContain('like');
    expect(types).toContain('view_item');
  });

  it('adds no element to the page and shifts no layout', async () => {
    const measure = async (html: string) => {
      const page = await e2e.browser.isolatedPage();
      const url = e2e.server.page(html);
      await page.evaluateOnNewDocument(() => {
        (window as unknown as { shifts: number }).shifts = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries())
            (window as unknown as { shifts: number }).shifts += (e as unknown as { value: number }).value;
        }).observe({ type: 'layout-shift', buffered: true });
      });
      await page.goto(url, { waitUntil: 'networkidle0' });
      await new Promise((r) => setTimeout(r, 300));
      return page.evaluate(() => ({
        nodes: document.getElementsByTagName('*').length,
        shifts: (window as unknown as { shifts: number }).shifts,
      }));
    };
    const without = await measure(productPage(''));
    const withTag = await measure(productPage(TAG));
    expect(withTag.nodes).toBe(without.nodes + 1); // the tag itself
    expect(withTag.shifts).toBe(0);
  });

  it('replays calls made before the script loaded, and a second tag captures nothing twice', async () => {
    const stub = `<script>window.aisle = window.aisle || []; aisle.push(['track', 'like', { item_id: 'SKU-EARLY' }]);</script>`;
    const page = await open(productPage(`${stub}${TAG}${TAG}`));
    await page.click('#add');
    await call(page, (a) => a.flush());
    const events = await serverEventsOf(await anonymousIdOf(page));
    expect(events.filter((e) => e.type === 'like').map((e) => e.items?.[0].item_id)).toEqual(['SKU-EARLY']);
    expect(events.filter((e) => e.type === 'add_to_cart')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'page_view')).toHaveLength(1);
  });

  it('keeps the page view and queued calls first, and sees a route change, when the page acts the moment the tag has run', async () => {
    // The tag's `onload` runs before capture's own task: a direct call and a route change made there
    // must still come after the page view and the stub's queued call, and the route change be seen.
    const stub = `<script>window.aisle = window.aisle || []; aisle.push(['track', 'like', { item_id: 'SKU-QUEUED' }]);</script>`;
    const tag = `<script async src="/aisle.js" data-site="demo" onload="aisle.track('share', { item_id: 'SKU-DIRECT' }); history.pushState(null, '', location.pathname + '-next')"></script>`;
    const page = await open(productPage(`${stub}${tag}`));
    await call(page, (a) => a.flush());
    const events = await serverEventsOf(await anonymousIdOf(page));
    const order = events.filter((e) => e.type !== 'view_item').map((e) => e.type);
    expect(order.slice(0, 4)).toEqual(['page_view', 'like', 'share', 'page_view']);
    const views = events.filter((e) => e.type === 'page_view').map((e) => new URL(e.page?.url ?? '').pathname);
    expect(views[1]).toBe(`${views[0]}-next`);
    expect(page.errors).toEqual([]);
  });

  it('logs and skips a queued call the page got wrong, without an error on the page', async () => {
    const stub = `<script>window.aisle = [null, 42, ['hasOwnProperty'], ['nope'], ['track', 'like', { item_id: 'SKU-OK' }]];</script>`;
    const page = await open(productPage(`${stub}${TAG}`));
    await call(page, (a) => a.flush());
    const events = await serverEventsOf(await anonymousIdOf(page));
    expect(events.filter((e) => e.type === 'like').map((e) => e.items?.[0].item_id)).toEqual(['SKU-OK']);
    expect(page.errors).toEqual([]);
  });

  it('syncs on the main thread when the page forbids workers, and still delivers', async () => {
    const page = await open(productPage(TAG), undefined, { 'Content-Security-Policy': "worker-src 'none'" });
    await page.click('#add');
    await call(page, (a) => a.flush());
    expect((await call(page, (a) => a.status())) as unknown).toMatchObject({
      sync: 'main-thread',
      storage: 'indexeddb',
    });
    const types = (await serverEventsOf(await anonymousIdOf(page))).map((e) => e.type);
    expect(types.sort()).toEqual(['add_to_cart', 'page_view', 'view_item']);
    expect(page.errors).toEqual([]);
  });

  it('runs storage and sync in a worker by default', async () => {
    const page = await open(productPage(TAG));
    expect((await call(page, (a) => a.status())) as unknown).toMatchObject({ sync: 'worker', storage: 'indexeddb' });
  });

  it('steps aside for another tab that upgrades its database, then goes on keeping events', async () => {
    const page = await open(productPage(TAG));
    await page.click('#add');
    await call(page, (a) => a.flush());
    // Another tab (a newer script) opens the database one version higher: it must not be kept waiting.
    const upgraded = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const probe = indexedDB.open('aisle-shopper');
          probe.onsuccess = () => {
            const version = probe.result.version;
            probe.result.close();
            const req = indexedDB.open('aisle-shopper', version + 1);
            req.onblocked = () => resolve('blocked');
            req.onsuccess = () => {
              req.result.close();
              resolve('upgraded');
            };
            req.onerror = () => resolve(String(req.error));
          };
        }),
    );
    expect(upgraded).toBe('upgraded');
    await page.click('#add');
    await call(page, (a) => a.flush());
    const adds = (await call(page, (a) => a.history())).filter((e) => e.type === 'add_to_cart');
    expect(adds).toHaveLength(2);
    expect(page.errors).toEqual([]);
  });
});
