/**
 * The network goes away mid-session and comes back; a page is left while the edge is unreachable.
 * Every event captured on the device ends up in the store exactly once.
 */
import { describe, expect, it } from 'vitest';
import { type AisleWindow, aisleReady, chromiumAvailable, type TestPage, until } from '../helpers/browser';
import { useServerAndBrowser } from '../helpers/e2e';

describe.runIf(chromiumAvailable())('offline and back', () => {
  const e2e = useServerAndBrowser();

  const aisle = (page: TestPage) => ({
    flush: () => page.evaluate(() => (window as unknown as AisleWindow).aisle.flush()),
    queued: () => page.evaluate(async () => (await (window as unknown as AisleWindow).aisle.status()).queued),
    localIds: () =>
      page.evaluate(async () => (await (window as unknown as AisleWindow).aisle.history()).map((e) => e.event_id)),
  });
  const storedIds = async () => (await e2e.server.storage.events({ limit: 10_000 })).map((s) => s.event.event_id);

  it('queues while offline, then delivers everything once when the network returns', async () => {
    const page = await e2e.browser.page();
    await page.goto(`${e2e.server.url}/demo/p/SKU-00002`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    await aisle(page).flush();

    await page.setOfflineMode(true);
    await page.click('#wish');
    await page.click('#share');
    await page.click('.star[data-rating="5"]');
    await page.evaluate(() => (window as unknown as AisleWindow).aisle.track('like', { item_id: 'SKU-00002' }));
    // Let the outbox try and fail.
    await aisle(page).flush();
    const queued = await aisle(page).queued();
    expect(queued).toBeGreaterThanOrEqual(4);
    const before = await storedIds();

    await page.setOfflineMode(false);
    const local = await aisle(page).localIds();
    const stored = await until('the queued events to arrive', async () => {
      const ids = await storedIds();
      return local.every((id) => ids.includes(id)) ? ids : null;
    });
    expect(stored.length - before.length).toBe(queued);
    expect(new Set(stored).size).toBe(stored.length);
    // The server stores before it answers; the outbox empties once the answer is back.
    await until('the outbox to empty', async () => (await aisle(page).queued()) === 0);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('keeps what a page could not send while the edge was down across a reload, and sends it from the next page', async () => {
    const page = await e2e.browser.page();
    e2e.server.setDown(true);
    await page.goto(`${e2e.server.url}/demo/c/shoes`, { waitUntil: 'load' });
    await aisleReady(page);
    await aisle(page).flush();
    const queuedBefore = await aisle(page).queued();
    expect(queuedBefore).toBeGreaterThan(0);

    // Leave the page while the edge is down: the exit beacon fails too.
    await page.reload({ waitUntil: 'load' });
    await aisleReady(page);
    const stillQueued = await aisle(page).queued();
    expect(stillQueued).toBeGreaterThan(queuedBefore);

    e2e.server.setDown(false);
    await aisle(page).flush();
    const all = await aisle(page).localIds();
    await until('both pages\u2019 events to arrive', async () => {
      const ids = await storedIds();
      return all.every((id) => ids.includes(id));
    });
    const ids = await storedIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('delivers a burst of 1,500 events from one page, each once', async () => {
    const page = await e2e.browser.isolatedPage();
    await page.goto(`${e2e.server.url}/demo/`, { waitUntil: 'load' });
    await aisleReady(page);
    await page.evaluate(() => {
      for (let i = 0; i < 1500; i++) (window as unknown as AisleWindow).aisle.track('like', { item_id: `SKU-B${i}` });
    });
    await aisle(page).flush();
    const burst = (await e2e.server.storage.events({ type: 'like', limit: 10_000 })).filter((s) =>
      s.event.items?.[0].item_id.startsWith('SKU-B'),
    );
    expect(burst).toHaveLength(1500);
    expect(await aisle(page).queued()).toBe(0);
  });
});
