/**
 * A shopper's own data on the server: a browser binds its anonymous ids to a secret only it holds,
 * reads what the server holds (`GET /v1/me`) and erases it (`DELETE /v1/me`) — events and profile
 * gone from SQLite and PostgreSQL, other shoppers untouched — and nobody else can do either. Then
 * the same from the storefront script in Chromium: `aisle.me()` and `aisle.erase()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { aisleReady, chromiumAvailable, until } from './helpers/browser';
import { useServerAndBrowser } from './helpers/e2e';
import { makeEvent } from './helpers/events';
import { TOKEN } from './helpers/server';

const adapters = await serverAdapters();

describe.each(adapters)('GET and DELETE /v1/me ($name)', (adapter) => {
  let opened: OpenServer;
  beforeAll(async () => {
    opened = await adapter.open();
  });
  afterAll(async () => opened.close());

  it('shows a shopper what is held, erases it on their word only, and leaves others alone', async () => {
    const { server } = opened;
    const secret = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(secret).digest('hex');
    const me = (method: string, auth = `Device ${secret}`) =>
      fetch(`${server.url}/v1/me?site=demo`, { method, headers: { Authorization: auth } });
    const bind = (anonymous_id: string, device_hash: string) =>
      fetch(`${server.url}/v1/me/device?site=demo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ anonymous_id, device_hash }),
      });
    const post = (events: unknown[]) =>
      fetch(`${server.url}/v1/events?site=demo`, { method: 'POST', body: JSON.stringify({ events }) });

    expect((await bind('shopper-a', hash)).status).toBe(204);
    expect((await bind('shopper-a', hash)).status).toBe(204); // again: the same browser
    expect((await bind('shopper-a', 'f'.repeat(64))).status).toBe(409); // another browser cannot take it
    expect((await bind('shopper-b', 'nothex')).status).toBe(400);
    await post([
      makeEvent({ anonymous_id: 'shopper-a', type: 'page_view' }),
      makeEvent({ anonymous_id: 'shopper-a', type: 'view_item' }),
      makeEvent({ anonymous_id: 'shopper-b', type: 'page_view' }),
    ]);
    // A CRM webhook that cannot be reached: its delivery, naming both shoppers, waits for a retry.
    const hook = await fetch(`${server.url}/v1/admin/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ site: 'demo', url: 'http://127.0.0.1:9/crm', min_churn: 0.5 }),
    });
    const { id: hookId } = (await hook.json()) as { id: string };
    await fetch(`${server.url}/v1/admin/profiles`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        site: 'demo',
        kind: 'churn',
        rows: ['shopper-a', 'shopper-b'].map((user_id) => ({ user_id, probability: 0.7, flagged: true, reasons: [] })),
      }),
    });

    const seen = await me('GET');
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({
      anonymous_ids: ['shopper-a'],
      events: 2,
      by_type: { page_view: 1, view_item: 1 },
      churn_band: 'high',
    });
    for (const auth of ['', 'Device wrong-secret-of-sufficient-length-000000000', `Bearer ${TOKEN}`]) {
      const refused = await me('DELETE', auth);
      expect(refused.status).toBe(401);
      expect((await refused.json()).details[0].path).toBe('header Authorization');
    }

    const erased = await me('DELETE');
    expect(erased.status).toBe(200);
    expect((await erased.json()).erased).toEqual({ anonymous_ids: ['shopper-a'], events: 2 });
    const left = await server.storage.events({ site: 'demo' });
    expect(left.map((e) => e.event.anonymous_id)).toEqual(['shopper-b']);
    expect(await server.storage.profiles.get('demo', 'shopper-a')).toBeUndefined();
    expect(await server.storage.profiles.get('demo', 'shopper-b')).toBeDefined();
    expect((await me('GET')).status).toBe(401); // nothing bound any more
    const [delivery] = await server.storage.webhooks.deliveries(hookId, 10);
    expect(JSON.parse(delivery.body).users.map((u: { user_id: string }) => u.user_id)).toEqual(['shopper-b']);
  });
});

describe.runIf(chromiumAvailable())('aisle.me() and aisle.erase() in Chromium', () => {
  const e2e = useServerAndBrowser();

  it('reads back what the server holds about this browser, then erases it there and here', async () => {
    const page = await e2e.browser.isolatedPage();
    await page.goto(`${e2e.server.url}/demo/?recs=4`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    const anonymous = await page.evaluate(async () => {
      const w = window as unknown as {
        aisle: { flush(): Promise<void>; history(n: number): Promise<{ anonymous_id: string }[]> };
      };
      await w.aisle.flush();
      return (await w.aisle.history(1))[0].anonymous_id;
    });
    const held = await until('the server to hold this browser’s events', async () => {
      const m = (await page.evaluate(() =>
        (window as unknown as { aisle: { me(): Promise<unknown> } }).aisle.me(),
      )) as {
        events: number;
        anonymous_ids: string[];
      } | null;
      return m && m.events > 0 ? m : undefined;
    });
    expect(held.anonymous_ids).toEqual([anonymous]);
    const stored = async () =>
      (await e2e.server.storage.events({ site: 'demo' })).filter((e) => e.event.anonymous_id === anonymous);
    expect((await stored()).length).toBe(held.events);

    await page.evaluate(() => (window as unknown as { aisle: { erase(): Promise<void> } }).aisle.erase());
    expect(await stored()).toEqual([]);
    const after = await page.evaluate(async () => {
      const w = window as unknown as {
        aisle: { history(n: number): Promise<{ anonymous_id: string }[]>; me(): Promise<unknown> };
      };
      return { history: await w.aisle.history(10), me: await w.aisle.me() };
    });
    expect(after.history).toEqual([]);
    // What remains is the browser's new anonymous id, with nothing recorded under it.
    const fresh = after.me as { anonymous_ids: string[]; events: number } | null;
    if (fresh) {
      expect(fresh.anonymous_ids).not.toContain(anonymous);
      expect(fresh.events).toBe(0);
    }
    expect(page.errors).toEqual([]);
  }, 120_000);
});
