/**
 * The Aisle extension, built and loaded unpacked in Chromium: the shopper enables it on the demo
 * store from the popup (the store's host permission, requested at runtime), browses, and the
 * events reach the server through the extension's host; the popup shows what was captured, the
 * inspector shows each event with its schema verdict; pausing stops everything being sent;
 * erasing removes the shopper's data on the device and on the server.
 *
 * A browser under automation cannot answer a permission prompt, so this build grants
 * http://127.0.0.1 up front (`AISLE_EXTENSION_TEST_HOSTS`); the popup's request then resolves as
 * a granted prompt would, and everything after it runs as shipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoModels } from '../../examples/storefront/models';
import { type AisleWindow, ARGS, CHROMIUM, chromiumAvailable, until } from '../helpers/browser';
import { startServer, type TestServer, tempSqlite } from '../helpers/server';

describe.runIf(chromiumAvailable())('the Aisle extension in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let remove: () => void;
  let shop: Page;
  let extensionId: string;
  let tabId: number;
  const out = mkdtempSync(join(tmpdir(), 'aisle-extension-'));
  const models = join(mkdtempSync(join(tmpdir(), 'aisle-extension-models-')), 'models');
  const userDataDir = mkdtempSync(join(tmpdir(), 'aisle-chromium-ext-'));

  const serverEvents = async () => (await server.storage.events({ site: 'demo', limit: 10_000 })).map((e) => e.event);
  const anonymousId = () =>
    shop.evaluate(async () => {
      const a = (window as unknown as AisleWindow).aisle;
      return (await a.history(1))[0]?.anonymous_id;
    });
  /** Waits until the store's page carries the content script's mark (`on`, or `paused`). */
  const marked = (value: string, what: string) =>
    until(what, () => shop.evaluate((v) => document.documentElement.dataset.aisleExtension === v, value));
  /** Waits until the store's tag syncs through the extension. */
  const syncedByExtension = () =>
    shop.waitForFunction(
      async () => {
        const a = (window as unknown as Partial<AisleWindow>).aisle;
        return a?.status && (await a.status()).sync === 'extension';
      },
      { timeout: 30_000, polling: 200 },
    );
  /** Opens the popup for the store's tab, as a page of its own, and waits until it has drawn. */
  async function popup() {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extensionId}/src/ext/popup.html?tab=${tabId}`);
    await page.waitForSelector('#app[data-ready]');
    return page;
  }

  beforeAll(async () => {
    process.env.AISLE_EXTENSION_TEST_HOSTS = 'http://127.0.0.1/*';
    process.env.AISLE_EXTENSION_OUT = out;
    try {
      await build({ mode: 'extension', logLevel: 'warn' });
    } finally {
      delete process.env.AISLE_EXTENSION_TEST_HOSTS;
      delete process.env.AISLE_EXTENSION_OUT;
    }
    // A recommender for the demo shop, as npm start trains one (smaller): recommendations to show.
    await ensureDemoModels(models, { shoppers: 150, epochs: 1, models: ['recommender'] }).ready;
    const db = tempSqlite();
    remove = db.remove;
    server = await startServer(db.storage, { modelsDir: models });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      userDataDir,
      pipe: true,
      enableExtensions: [out],
    });
    // Under automation, a worker an extension page starts waits for a debugger; let the inference
    // worker run as it would in a shopper's browser.
    browser.on('targetcreated', async (target) => {
      if (!target.url().includes('infer-worker')) return;
      const session = await target.createCDPSession();
      await session.send('Runtime.runIfWaitingForDebugger');
    });
    const worker = await browser.waitForTarget(
      (t) => t.type() === 'service_worker' && t.url().startsWith('chrome-extension://'),
      { timeout: 30_000 },
    );
    extensionId = new URL(worker.url()).host;
    shop = await browser.newPage();
    await shop.goto(`${server.url}/demo/`, { waitUntil: 'networkidle0' });
    const sw = await worker.worker();
    tabId = (await sw?.evaluate(
      async (url) =>
        (
          await (
            globalThis as unknown as { chrome: { tabs: { query(q: object): Promise<{ id: number }[]> } } }
          ).chrome.tabs.query({ url: `${url}/*` })
        )[0]?.id,
      server.url,
    )) as number;
    expect(tabId).toEqual(expect.any(Number));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    remove?.();
    rmSync(out, { recursive: true, force: true });
    rmSync(join(models, '..'), { recursive: true, force: true });
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('builds a loadable MV3 extension that asks for no site until the shopper enables one', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.permissions.sort()).toEqual(['activeTab', 'offscreen', 'scripting', 'storage']);
    expect(manifest.optional_host_permissions).toEqual(['https://*/*', 'http://*/*']);
    expect(manifest.content_scripts).toBeUndefined();
    expect(manifest.web_accessible_resources).toBeUndefined();
    // Only this test build holds a host up front (see the file's comment).
    expect(manifest.host_permissions).toEqual(['http://127.0.0.1/*']);
    // An icon in the toolbar and the extensions page, each a PNG of the size it is listed at.
    expect(Object.keys(manifest.icons)).toEqual(['16', '32', '48', '128']);
    expect(manifest.action.default_icon).toEqual(manifest.icons);
    for (const [size, file] of Object.entries(manifest.icons as Record<string, string>)) {
      const png = readFileSync(join(out, file));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([Number(size), Number(size)]);
    }
  });

  it('has a content script that reads no form: it relays what the store’s tag sends', () => {
    const source = readFileSync(new URL('../../extension/src/ext/content.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(
      /\.value\b|FormData|HTMLInputElement|querySelector(All)?\(['"`][^'"`]*(input|textarea|select|form)/,
    );
  });

  it('is enabled on the store from the popup, and takes over capture for it', async () => {
    // Before: the store's own tag syncs from its own worker.
    expect(await shop.evaluate(() => document.documentElement.dataset.aisleExtension)).toBeUndefined();
    const page = await popup();
    await page.waitForSelector('[data-state=offer] button[data-action=enable]');
    await page.click('button[data-action=enable]');
    await marked('on', 'the store reloaded with the extension');
    await syncedByExtension();
    await page.close();
    await shop.bringToFront();
  });

  it('runs inference for the store in the extension’s one worker, shared by every tab', async () => {
    // Two tabs of the store: both get a backend from the same worker.
    const second = await browser.newPage();
    await second.goto(`${server.url}/demo/`, { waitUntil: 'networkidle0' });
    for (const page of [second, shop]) {
      await page.bringToFront();
      await page.waitForFunction(
        async () => {
          const a = (window as unknown as Partial<AisleWindow>).aisle;
          return a?.status && (await a.status()).backend !== null;
        },
        { timeout: 30_000, polling: 250 },
      );
    }
    // Recommendations in the page's slot, as with the script alone.
    await until('recommendations in the slot', async () =>
      shop.evaluate(
        () => document.querySelector('[data-aisle-slot="recommendations"]')?.shadowRoot?.querySelectorAll('li').length,
      ),
    );
    const workers = browser.targets().filter((t) => t.url().includes('infer-worker'));
    expect(workers).toHaveLength(1);
    // No page of the store started an inference worker of its own.
    const own = browser.targets().filter((t) => t.url().startsWith('blob:http://127.0.0.1'));
    expect(own).toEqual([]);
    await second.close();
    await shop.bringToFront();
  });

  it('sends what the shopper does through the extension’s host to the server', async () => {
    const before = (await serverEvents()).length;
    await shop.click('[data-aisle-list="Featured"] li:first-child a');
    await shop.waitForSelector('#add');
    await shop.click('#add');
    await shop.evaluate(() => (window as unknown as AisleWindow).aisle.flush());
    const id = await anonymousId();
    await until('the events on the server', async () => {
      const mine = (await serverEvents()).filter((e) => e.anonymous_id === id);
      return mine.some((e) => e.type === 'add_to_cart') && mine.some((e) => e.type === 'view_item');
    });
    expect((await serverEvents()).length).toBeGreaterThan(before);
  });

  it('shows the shopper what this store captured, and the inspector each event with its verdict', async () => {
    const inspector = await browser.newPage();
    await inspector.goto(`chrome-extension://${extensionId}/src/ext/inspector.html?tab=${tabId}`);
    await inspector.waitForSelector('[data-sync=extension]', { timeout: 30_000 });
    // The shop's tab in front again, as a shopper would have it: background tabs are throttled.
    await shop.bringToFront();
    await shop.click('#wish');
    await inspector.waitForSelector('tr[data-type=add_to_wishlist][data-valid=true]', { timeout: 30_000 });

    const page = await popup();
    expect(await page.$eval('[data-state]', (el) => el.getAttribute('data-state'))).toBe('active');
    const counts = await page.$$eval('[data-count]', (cells) =>
      Object.fromEntries(cells.map((c) => [c.getAttribute('data-count'), Number(c.textContent)])),
    );
    expect(counts.add_to_cart).toBeGreaterThanOrEqual(1);
    expect(counts.view_item).toBeGreaterThanOrEqual(1);
    // The recommendations on the store's page, and why each.
    const recs = await page.$$eval('[data-list=recommendations] li', (li) => li.map((x) => x.textContent ?? ''));
    expect(recs.length).toBeGreaterThan(0);
    for (const r of recs)
      expect(r).toMatch(
        / — (because you viewed|popular|more from|often viewed with|more \w+ like|you looked at|you bought|shoppers who viewed|visits like yours|tastes like yours|picked for you)/,
      );
    expect(await page.$eval('[data-backend]', (el) => el.getAttribute('data-backend'))).not.toBe('');
    await page.close();
    await inspector.close();
  });

  it('sends nothing more once the shopper pauses it on this store', async () => {
    const page = await popup();
    await page.click('button[data-action=pause]');
    await marked('paused', 'the store reloaded, paused');
    await page.close();
    await shop.bringToFront();
    const count = (await serverEvents()).length;
    await shop.waitForSelector('#add');
    await shop.click('#add');
    await shop.click('#wish');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await serverEvents()).length).toBe(count);
    // The paused store's tag captures nothing at all: it never starts.
    expect(
      await shop.evaluate(
        () => Array.isArray((window as unknown as { aisle?: unknown }).aisle) || !('aisle' in window),
      ),
    ).toBe(true);
    // Resumed, it captures again.
    const again = await popup();
    await again.click('button[data-action=pause]');
    await marked('on', 'the store reloaded, on');
    await again.close();
    await shop.bringToFront();
  });

  it('erases the shopper’s data on the device and on the server', async () => {
    await syncedByExtension();
    await shop.click('#add');
    await shop.evaluate(() => (window as unknown as AisleWindow).aisle.flush());
    const id = await anonymousId();
    await until('the shopper’s events on the server', async () =>
      (await serverEvents()).some((e) => e.anonymous_id === id),
    );
    const page = await popup();
    await page.click('button[data-action=erase]');
    await page.waitForSelector('#app[data-erased]', { timeout: 30_000 });
    await until(
      'nothing of theirs on the server',
      async () => !(await serverEvents()).some((e) => e.anonymous_id === id),
    );
    await page.reload();
    await page.waitForSelector('#app[data-ready]');
    expect(await page.$('[data-count]')).toBeNull();
    await page.close();
  });
});
