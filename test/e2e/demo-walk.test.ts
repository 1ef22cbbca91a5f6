/**
 * A shopper walks the demo shop in real Chromium — home, product, cart, search, checkout, a
 * declined card, a purchase — and every step lands in the edge store, once, without a single
 * form value.
 */

import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AisleWindow, aisleReady, chromiumAvailable, until } from '../helpers/browser';
import { useServerAndBrowser } from '../helpers/e2e';

const SECRETS = [
  'Jane Shopper',
  'jane.shopper@example.com',
  '1 Test Street',
  '4000000000000002',
  '4242424242424242',
  '4242 4242',
];

describe.runIf(chromiumAvailable())('the demo shop in Chromium', () => {
  const e2e = useServerAndBrowser();
  let events: AisleEvent[] = [];
  let pageErrors: string[] = [];
  let consoleLines: string[] = [];
  let selectedIndex = -1;

  const stored = async () => (await e2e.server.storage.events({ limit: 10_000 })).map((s) => s.event);

  beforeAll(async () => {
    const { server, browser } = e2e;
    const page = await browser.page();
    const go = async (path: string) => {
      await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle0' });
      await aisleReady(page);
    };
    await go('/demo/');
    // The first product that is in stock, wherever it sits in the list.
    selectedIndex = await page.$$eval('[data-aisle-list="Featured"] li', (lis) =>
      lis.findIndex((li) => !li.querySelector('.oos')),
    );
    await page.click(`[data-aisle-list="Featured"] li:nth-child(${selectedIndex + 1}) a`);
    await page.waitForSelector('article.product');
    await aisleReady(page);
    await page.click('#add');
    await page.click('#wish');
    await page.click('#share');
    await page.click('.star[data-rating="4"]');
    // Dwell on the product page so that leaving it reports engagement.
    await new Promise((r) => setTimeout(r, 1300));
    await page.type('#q', 'trail boots');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    await go('/demo/cart');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#checkout')]);
    await page.type('input[name=name]', 'Jane Shopper');
    await page.type('input[name=email]', 'jane.shopper@example.com');
    await page.type('input[name=address]', '1 Test Street');
    await page.type('input[name=card]', '4000 0000 0000 0002');
    await page.click('#pay');
    await page.waitForFunction(() => document.getElementById('payment-error')?.textContent?.includes('declined'));
    await page.click('input[name=card]', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type('input[name=card]', '4242 4242 4242 4242');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#pay')]);
    await page.waitForSelector('#order-id');
    await page.evaluate(() => (window as unknown as AisleWindow).aisle.flush());
    events = await until('the purchase to reach the server', async () => {
      const all = await stored();
      return all.some((e) => e.type === 'purchase') ? all : null;
    });
    pageErrors = page.errors;
    consoleLines = page.console;
  }, 90_000);

  const ofType = (type: string) => events.filter((e) => e.type === type);

  it('captures the whole journey', () => {
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'page_view',
      'view_item_list',
      'select_item',
      'view_item',
      'add_to_cart',
      'add_to_wishlist',
      'share',
      'review',
      'user_engagement',
      'search',
      'view_cart',
      'begin_checkout',
      'add_payment_info',
      'payment_failed',
      'purchase',
    ]) {
      expect(types, type).toContain(type);
    }
  });

  it('counts the product view and the add-to-cart once, though the page reports each through several channels', () => {
    expect(ofType('view_item')).toHaveLength(1);
    expect(ofType('add_to_cart')).toHaveLength(1);
    const [view] = ofType('view_item');
    const [add] = ofType('add_to_cart');
    expect(add.items?.[0]).toMatchObject({ item_id: view.items?.[0].item_id, quantity: 1 });
    expect(add).toMatchObject({ currency: 'EUR' });
  });

  it('records which listed product was selected and where it sat', () => {
    const [select] = ofType('select_item');
    expect(select.item_list_name).toBe('Featured');
    expect(select.items?.[0]).toMatchObject({
      index: selectedIndex,
      item_list_name: 'Featured',
      item_id: ofType('view_item')[0].items?.[0].item_id,
    });
  });

  it('keeps the search term and the rating', () => {
    expect(ofType('search').map((e) => e.search_term)).toEqual(['trail boots']);
    expect(ofType('review')[0]).toMatchObject({ rating: 4 });
  });

  it('measures dwell on the product page while it was visible', () => {
    const dwell = ofType('user_engagement').find((e) => e.items?.length);
    expect(dwell?.engagement_ms).toBeGreaterThanOrEqual(1000);
    expect(dwell?.scroll_depth).toBeGreaterThan(0);
  });

  it('records the declined payment and then the purchase with value, currency and items', () => {
    expect(ofType('add_payment_info').map((e) => e.payment_type)).toEqual(['credit_card', 'credit_card']);
    expect(ofType('payment_failed')[0]).toMatchObject({ payment_type: 'credit_card', currency: 'EUR' });
    const [purchase] = ofType('purchase');
    expect(purchase.transaction_id).toMatch(/^ORD-/);
    expect(purchase.currency).toBe('EUR');
    expect(purchase.value).toBeCloseTo(ofType('add_to_cart')[0].value ?? 0, 2);
    expect(purchase.items).toHaveLength(1);
  });

  it('never captures a form value other than the search term', () => {
    const everything = JSON.stringify(events);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  it('ties every event to one shopper and one session, with clean URLs', () => {
    expect(new Set(events.map((e) => e.anonymous_id)).size).toBe(1);
    expect(new Set(events.map((e) => e.session_id)).size).toBe(1);
    for (const e of events) expect(e.page?.url).not.toContain('?q=');
  });

  it('stores every event once', () => {
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  });

  it('never throws into the page, nor writes a warning or error to its console', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleLines).toEqual([]);
  });
});
