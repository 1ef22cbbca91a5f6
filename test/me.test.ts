/**
 * A shopper's own data on the server: the device that made an identity reads what the server holds
 * (`GET /v1/me`) and erases it (`DELETE /v1/me`) — events and profile gone from SQLite and
 * PostgreSQL, other shoppers untouched — and nobody else can do either, whatever ids, hashes or
 * site key they know. Then the same from the storefront script in Chromium: `aisle.me()` and
 * `aisle.erase()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deviceAnonymousId } from '@aisle/shared-models/schema/ids';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityProof } from '../edge-server/src/routes/me';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { type AisleWindow, aisleReady, chromiumAvailable, until } from './helpers/browser';
import { useServerAndBrowser } from './helpers/e2e';
import { makeEvent } from './helpers/events';
import { startServer, TOKEN, tempSqlite } from './helpers/server';

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
      rows: [a.id, other].map((user_id, i) => ({
        user_id,
        probability: 0.7,
        flagged: true,
        reasons: [],
        value: { days: 90, orders: 1.5 + i, spend: 120 + i, active: 0.8 },
      })),
    });

    const seen = await me('GET', a.auth);
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({
      anonymous_ids: [a.id],
      identified: false,
      events: 2,
      by_type: { page_view: 1, view_item: 1 },
      churn_band: 'high',
      // Their own forecast, not the other shopper's.
      expected: { days: 90, orders: 1.5, spend: 120 },
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
    expect(await (await me('GET', a.auth)).json()).toMatchObject({
      events: 0,
      segment: null,
      churn_band: null,
      expected: null,
    });
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

describe.each(await serverAdapters({ rateLimit: { perClient: 200 } }))(
  'erasure an attacker shapes ($name)',
  (adapter) => {
    let opened: OpenServer;
    beforeAll(async () => {
      opened = await adapter.open();
    });
    afterAll(async () => opened.close());
    const call = (method: string, path: string, auth: string, body?: unknown) =>
      fetch(`${opened.server.url}${path}`, {
        method,
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const post = (events: unknown[]) =>
      fetch(`${opened.server.url}/v1/events?site=demo`, { method: 'POST', body: JSON.stringify({ events }) });

    it('erases only the ids a device proved, never those an attacker planted on events carrying its user id', async () => {
      const { storage } = opened.server;
      const { secret: identitySecret } = await (
        await call('POST', '/v1/admin/sites/demo/identity-secret', `Bearer ${TOKEN}`)
      ).json();
      // The attacker signs up at the shop and proves their own user id, as any customer may.
      const attackerSecret = randomBytes(32).toString('base64url');
      const attacker = `Device ${attackerSecret}`;
      const mine = hashedUser('attacker@example.com');
      expect(
        (
          await call('POST', '/v1/me/identity?site=demo', attacker, {
            user_id: mine,
            proof: identityProof(identitySecret, mine),
          })
        ).status,
      ).toBe(204);
      // Victims: one known by e-mail (a user id anyone can compute), one by an anonymous id, many more.
      const victimUser = hashedUser('victim@example.com');
      const victimDevice = await deviceAnonymousId(randomBytes(32).toString('base64url'), 'demo');
      const many = Array.from({ length: 1200 }, (_, i) => `planted-${i}`);
      const victims = [victimUser, victimDevice, ...many];
      await call('POST', '/v1/admin/profiles', `Bearer ${TOKEN}`, {
        site: 'demo',
        kind: 'churn',
        rows: victims.map((user_id) => ({ user_id, probability: 0.9, flagged: true, reasons: [] })),
      });
      await post([makeEvent({ anonymous_id: victimDevice, session_id: 'victim-session' })]);
      // Events carrying the attacker's own user id, on the victims' ids: anyone can send such events.
      for (let i = 0; i < victims.length; i += 400) {
        await post(victims.slice(i, i + 400).map((id) => makeEvent({ anonymous_id: id, user_id: mine })));
      }
      const erased = await call('DELETE', '/v1/me?site=demo', attacker);
      expect(erased.status).toBe(200);
      expect((await erased.json()).erased.events).toBe(victims.length);
      for (const id of [victimUser, victimDevice, many[0], many[1199]]) {
        expect(await storage.profiles.get('demo', id), id).toBeDefined();
      }
      // The victim's own event stays, and so does the dashboard's count of their session.
      const left = (await storage.events({ site: 'demo', limit: 10_000 })).filter(
        (e) => e.event.anonymous_id === victimDevice,
      );
      expect(left).toHaveLength(1);
    }, 60_000);

    it('signs a browser out: what it proved is no longer its to read', async () => {
      const { secret: identitySecret } = await (
        await call('POST', '/v1/admin/sites/demo/identity-secret', `Bearer ${TOKEN}`)
      ).json();
      const browser = `Device ${randomBytes(32).toString('base64url')}`;
      const user = hashedUser('shared-computer@example.com');
      await call('POST', '/v1/me/identity?site=demo', browser, {
        user_id: user,
        proof: identityProof(identitySecret, user),
      });
      expect((await (await call('GET', '/v1/me?site=demo', browser)).json()).identified).toBe(true);
      expect(await (await call('DELETE', '/v1/me/identity?site=demo', browser)).json()).toEqual({ unlinked: 1 });
      expect((await (await call('GET', '/v1/me?site=demo', browser)).json()).identified).toBe(false);
      // A new identity secret retires the old one's links too.
      await call('POST', '/v1/me/identity?site=demo', browser, {
        user_id: user,
        proof: identityProof(identitySecret, user),
      });
      await call('POST', '/v1/admin/sites/demo/identity-secret', `Bearer ${TOKEN}`);
      expect((await (await call('GET', '/v1/me?site=demo', browser)).json()).identified).toBe(false);
    });
  },
);

describe.each(await serverAdapters({ rateLimit: { perClient: 10 } }))(
  'the shopper routes’ rate limit ($name)',
  (adapter) => {
    let opened: OpenServer;
    beforeAll(async () => {
      opened = await adapter.open();
    });
    afterAll(async () => opened.close());

    it('counts each request once', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await fetch(`${opened.server.url}/v1/me?site=demo`, {
          headers: { Authorization: `Device ${'c'.repeat(43)}` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([...Array(10).fill(200), 429]);
    });
  },
);

describe('bindings an earlier version made (SQLite)', () => {
  it('are still honoured for the browser that made them, to read and to erase', async () => {
    const db = tempSqlite();
    const server = await startServer(db.storage);
    try {
      const secret = randomBytes(32).toString('base64url');
      const hash = createHash('sha256').update(secret).digest('hex');
      new Database(join(db.dir, 'aisle.db'))
        .prepare('INSERT INTO legacy_devices (site, anonymous_id, device_hash, created_at) VALUES (?, ?, ?, ?)')
        .run('demo', 'legacy-anon', hash, 1);
      await fetch(`${server.url}/v1/events?site=demo`, {
        method: 'POST',
        body: JSON.stringify({ events: [makeEvent({ anonymous_id: 'legacy-anon' })] }),
      });
      const me = (method: string) =>
        fetch(`${server.url}/v1/me?site=demo`, { method, headers: { Authorization: `Device ${secret}` } });
      expect(await (await me('GET')).json()).toMatchObject({ events: 1 });
      expect((await (await me('DELETE')).json()).erased.events).toBe(1);
      expect(await (await me('GET')).json()).toMatchObject({ events: 0 });
    } finally {
      await server.close();
      db.remove();
    }
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
      const m = (await page.evaluate(() => (window as unknown as AisleWindow).aisle.me())) as {
        events: number;
        anonymous_ids: string[];
      } | null;
      return m && m.events > 0 ? m : undefined;
    });
    expect(held.anonymous_ids).toEqual([anonymous]);
    const stored = async () =>
      (await e2e.server.storage.events({ site: 'demo' })).filter((e) => e.event.anonymous_id === anonymous);
    expect((await stored()).length).toBe(held.events);

    await page.evaluate(() => (window as unknown as AisleWindow).aisle.erase());
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
