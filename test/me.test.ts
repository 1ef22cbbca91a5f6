/**
 * A shopper's own data on the server: the device that made an identity reads what the server holds
 * (`GET /v1/me`) and erases it (`DELETE /v1/me`) — events and profile gone from SQLite and
 * PostgreSQL, other shoppers untouched — and nobody else can do either, whatever ids, hashes or
 * site key they know. Then the same from the storefront script in Chromium: `aisle.me()` and
 * `aisle.erase()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deviceAnonymousId } from '@aisle/shared-models/schema/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityProof } from '../edge-server/src/routes/me';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { aisleReady, chromiumAvailable, until } from './helpers/browser';
import { useServerAndBrowser } from './helpers/e2e';
import { makeEvent } from './helpers/events';
import { TOKEN } from './helpers/server';

const adapters = await serverAdapters();
const hashedUser = (email: string) => createHash('sha256').update(`demo:${email}`).digest('hex');

describe.each(adapters)('GET and DELETE /v1/me ($name)', (adapter) => {
  let opened: OpenServer;
  beforeAll(async () => {
    opened = await adapter.open();
  });
  afterAll(async () => opened.close());

  const me = (method: string, auth: string) =>
    fetch(`${opened.server.url}/v1/me?site=demo`, { method, headers: { Authorization: auth } });
  const post = (events: unknown[]) =>
    fetch(`${opened.server.url}/v1/events?site=demo`, { method: 'POST', body: JSON.stringify({ events }) });
  const admin = (path: string, body: unknown) =>
    fetch(`${opened.server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const prove = (secret: string, user_id: string, proof: string) =>
    fetch(`${opened.server.url}/v1/me/identity?site=demo`, {
      method: 'POST',
      headers: { Authorization: `Device ${secret}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id, proof }),
    });
  const newDevice = async () => {
    const secret = randomBytes(32).toString('base64url');
    return { secret, id: await deviceAnonymousId(secret, 'demo'), auth: `Device ${secret}` };
  };

  it('shows a shopper what is held, erases it on their word only, and leaves others alone', async () => {
    const { server } = opened;
    const a = await newDevice();
    const other = 'shopper-b';
    await post([
      makeEvent({ anonymous_id: a.id, type: 'page_view' }),
      makeEvent({ anonymous_id: a.id, type: 'view_item' }),
      makeEvent({ anonymous_id: other, type: 'page_view' }),
    ]);
    // A CRM webhook that cannot be reached: its delivery, naming both shoppers, waits for a retry.
    const hook = await admin('/v1/admin/webhooks', { site: 'demo', url: 'http://127.0.0.1:9/crm', min_churn: 0.5 });
    const { id: hookId } = (await hook.json()) as { id: string };
    await admin('/v1/admin/profiles', {
      site: 'demo',
      kind: 'churn',
      rows: [a.id, other].map((user_id) => ({ user_id, probability: 0.7, flagged: true, reasons: [] })),
    });

    const seen = await me('GET', a.auth);
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({
      anonymous_ids: [a.id],
      identified: false,
      events: 2,
      by_type: { page_view: 1, view_item: 1 },
      churn_band: 'high',
    });
    for (const auth of ['', 'Device short', `Bearer ${TOKEN}`]) {
      const refused = await me('DELETE', auth);
      expect(refused.status).toBe(401);
      expect((await refused.json()).details[0].path).toBe('header Authorization');
    }

    const erased = await me('DELETE', a.auth);
    expect(erased.status).toBe(200);
    expect((await erased.json()).erased).toEqual({ anonymous_ids: [a.id], events: 2 });
    const left = await server.storage.events({ site: 'demo' });
    expect(left.map((e) => e.event.anonymous_id)).toEqual([other]);
    expect(await server.storage.profiles.get('demo', a.id)).toBeUndefined();
    expect(await server.storage.profiles.get('demo', other)).toBeDefined();
    expect(await (await me('GET', a.auth)).json()).toMatchObject({ events: 0, segment: null, churn_band: null });
    const [delivery] = await server.storage.webhooks.deliveries(hookId, 10);
    expect(JSON.parse(delivery.body).users.map((u: { user_id: string }) => u.user_id)).toEqual([other]);
  });

  it('gives an attacker who knows the site key, ids and hashes nothing of another shopper', async () => {
    const { server } = opened;
    const victim = await newDevice();
    const attacker = await newDevice();
    const victimUser = hashedUser('victim@example.com'); // computable by anyone who knows the e-mail
    await post([
      makeEvent({ anonymous_id: victim.id, user_id: victimUser, type: 'page_view' }),
      makeEvent({ anonymous_id: victim.id, user_id: victimUser, type: 'view_item' }),
    ]);
    await admin('/v1/admin/profiles', {
      site: 'demo',
      kind: 'churn',
      rows: [{ user_id: victimUser, probability: 0.9, flagged: true, reasons: [] }],
    });
    // The attacker's own events carry the victim's user id; then they ask about themselves.
    await post([makeEvent({ anonymous_id: attacker.id, user_id: victimUser, type: 'page_view' })]);
    const seen = await (await me('GET', attacker.auth)).json();
    expect(seen).toMatchObject({ anonymous_ids: [attacker.id], identified: false, events: 1, churn_band: null });
    // The binding of old let the first to ask own any anonymous id; it is gone.
    const bind = await fetch(`${server.url}/v1/me/device?site=demo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        anonymous_id: victim.id,
        device_hash: createHash('sha256').update(attacker.secret).digest('hex'),
      }),
    });
    expect(bind.status).toBe(410);
    // A user id joins a device only with the merchant's proof: none set up, then a forged one.
    expect((await prove(attacker.secret, victimUser, 'f'.repeat(64))).status).toBe(409);
    const { secret: identitySecret } = await (await admin('/v1/admin/sites/demo/identity-secret', {})).json();
    const forged = await prove(attacker.secret, victimUser, identityProof('guessed', victimUser));
    expect(forged.status).toBe(403);
    expect((await forged.json()).details[0].path).toBe('proof');
    expect((await (await me('GET', attacker.auth)).json()).churn_band).toBeNull();
    // Erasing as the attacker takes only the attacker's own event.
    expect((await (await me('DELETE', attacker.auth)).json()).erased.events).toBe(1);
    const victims = async () =>
      (await server.storage.events({ site: 'demo' })).filter((e) => e.event.anonymous_id === victim.id);
    expect(await victims()).toHaveLength(2);
    expect(await server.storage.profiles.get('demo', victimUser)).toBeDefined();

    // The victim, signed in at the merchant, proves the identity and sees and erases it all.
    expect((await prove(victim.secret, victimUser, identityProof(identitySecret, victimUser))).status).toBe(204);
    expect(await (await me('GET', victim.auth)).json()).toMatchObject({
      identified: true,
      events: 2,
      churn_band: 'high',
    });
    expect((await (await me('DELETE', victim.auth)).json()).erased.events).toBe(2);
    expect(await victims()).toEqual([]);
    expect(await server.storage.profiles.get('demo', victimUser)).toBeUndefined();
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
