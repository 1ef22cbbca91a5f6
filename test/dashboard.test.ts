/**
 * The dashboard's API on SQLite and PostgreSQL: what a shop's events add up to (per day, the
 * funnel, revenue, recommendations against the hold-out, risk flags, consent), the same however
 * the events arrive; labels, rollouts and promotions; and who may see and change what.
 */

import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { uuidv7 } from '@aisle/shared-models/schema/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../edge-server/src/storage/rollups';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { makeEvent } from './helpers/events';
import { type TestServer, TOKEN } from './helpers/server';

const D = Date.UTC(2026, 9, 10) / DAY_MS;
const at = (day: number, minute: number) => day * DAY_MS + 12 * 3_600_000 + minute * 60_000;
const item = (id: string, price = 10) => [{ item_id: id, price, item_category: 'Shoes' }];

/** Five sessions over two days: recommendations clicked and bought (A), shown (C), held out (B, D), flagged on two pages (E). */
function shop(): AisleEvent[][] {
  const e = (session: string, group: 'treatment' | 'control' | undefined, day: number, minute: number, o: object) =>
    makeEvent({
      anonymous_id: `anon-${session}`,
      session_id: `sess-${session}`,
      ts: at(day, minute),
      ...(group ? { group } : {}),
      ...o,
    });
  const rec = { model_version: '3' };
  const first = [
    e('A', 'treatment', D, 0, { type: 'view_item', items: item('SKU-1') }),
    e('A', 'treatment', D, 1, { type: 'rec_impression', items: item('SKU-2'), props: { ...rec, backend: 'webgpu' } }),
    e('A', 'treatment', D, 2, { type: 'rec_click', items: item('SKU-2'), props: { ...rec, backend: 'webgpu' } }),
    e('A', 'treatment', D, 3, { type: 'add_to_cart', items: item('SKU-2') }),
    e('A', 'treatment', D, 4, { type: 'begin_checkout', items: item('SKU-2') }),
    e('B', 'control', D, 0, { type: 'view_item', items: item('SKU-3') }),
    e('B', 'control', D, 1, { type: 'add_to_cart', items: item('SKU-3') }),
  ];
  const second = [
    // A's purchase arrives in a later batch than the click it is attributed to.
    e('A', 'treatment', D, 5, { type: 'purchase', items: item('SKU-2', 50), value: 50, currency: 'EUR' }),
    e('C', 'treatment', D + 1, 0, { type: 'view_item', items: item('SKU-9') }),
    e('C', 'treatment', D + 1, 1, { type: 'rec_impression', items: item('SKU-8'), props: { ...rec, backend: 'wasm' } }),
    e('C', 'treatment', D + 1, 2, { type: 'purchase', items: item('SKU-9', 20), value: 20, currency: 'EUR' }),
    e('D', 'control', D + 1, 0, { type: 'view_item', items: item('SKU-4') }),
    e('D', 'control', D + 1, 1, { type: 'add_to_cart', items: item('SKU-4') }),
    e('D', 'control', D + 1, 2, { type: 'begin_checkout', items: item('SKU-4') }),
    e('D', 'control', D + 1, 3, { type: 'purchase', items: item('SKU-4', 30), value: 30, currency: 'EUR' }),
    e('E', undefined, D + 1, 0, {
      type: 'risk_flag',
      items: undefined,
      props: { score: 0.995, model_version: '2', reasons: 'events_per_minute, timing_regularity' },
    }),
    // E's next page, flagged again (older tags sent a flag per page).
    e('E', undefined, D + 1, 1, {
      type: 'view_item',
      items: item('SKU-7'),
      page: { url: 'https://shop.example/p/SKU-7?utm_source=x' },
    }),
    e('E', undefined, D + 1, 2, {
      type: 'risk_flag',
      items: undefined,
      props: { score: 0.999, model_version: '2', reasons: 'payment_failures, events_per_minute' },
    }),
  ];
  return [first, second];
}

async function call(server: TestServer, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await server.request(path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON
  return { status: res.status, body: (await res.json()) as any };
}
const post = (server: TestServer, events: AisleEvent[]) =>
  server
    .request('/v1/events', {
      method: 'POST',
      headers: { 'X-Aisle-Site': 'demo', 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    })
    .then(async (r) => ({ status: r.status, body: await r.json() }));

describe.each(await serverAdapters())('the dashboard API on $name', ({ open }) => {
  let opened: OpenServer;
  let server: TestServer;
  const range = `site=demo&days=2&to=${D + 1}`;
  beforeAll(async () => {
    opened = await open();
    server = opened.server;
    await server.storage.putSite({ key: 'other', name: 'Other', origins: ['https://other.example'], created_at: 1 });
    const [first, second] = shop();
    expect((await post(server, first)).body.accepted).toBe(first.length);
    // A page read between two batches folds the first in; the second is folded in after it.
    expect((await call(server, 'GET', `/v1/admin/dashboard/overview?${range}`)).status).toBe(200);
    expect((await post(server, second)).body.accepted).toBe(second.length);
    // A batch sent again changes nothing.
    expect((await post(server, first)).body.duplicates).toBe(first.length);
  }, 60_000);
  afterAll(() => opened?.close());

  it('adds the events up per day, into the funnel, revenue and active shoppers', async () => {
    const { status, body } = await call(server, 'GET', `/v1/admin/dashboard/overview?${range}`);
    expect(status).toBe(200);
    expect(body.range).toMatchObject({ from: D, to: D + 1 });
    expect(body.events).toBe(18);
    expect(body.days.map((d: { day: number }) => d.day)).toEqual([D, D + 1]);
    expect(body.days[0].byType).toEqual({
      view_item: 2,
      rec_impression: 1,
      rec_click: 1,
      add_to_cart: 2,
      begin_checkout: 1,
      purchase: 1,
    });
    expect(body.days[1].byType).toEqual({
      view_item: 3,
      rec_impression: 1,
      add_to_cart: 1,
      begin_checkout: 1,
      purchase: 2,
      risk_flag: 2,
    });
    expect(body.days.map((d: { shoppers: number }) => d.shoppers)).toEqual([2, 3]); // A and B, then C, D and E
    expect(body.shoppers).toBe(5);
    expect(body.sessions).toBe(5);
    // C bought without a cart: it reached the first step only; so did E, which only browsed.
    expect(body.funnel).toEqual([
      { step: 'view_item', sessions: 5 },
      { step: 'add_to_cart', sessions: 3 },
      { step: 'begin_checkout', sessions: 2 },
      { step: 'purchase', sessions: 2 },
    ]);
    expect(body.revenue).toEqual([{ currency: 'EUR', value: 100, orders: 3 }]);
    // One day only: the first.
    const one = await call(server, 'GET', `/v1/admin/dashboard/overview?site=demo&days=1&to=${D}`);
    expect(one.body.events).toBe(8);
    expect(one.body.revenue).toEqual([{ currency: 'EUR', value: 50, orders: 1 }]);
  });

  it('answers a custom range with the period before it, and refuses a range that is none', async () => {
    // The second day, against the first.
    const { body } = await call(server, 'GET', `/v1/admin/dashboard/overview?site=demo&from=${D + 1}&to=${D + 1}`);
    expect(body.range).toMatchObject({ from: D + 1, to: D + 1, days: 1, previous: { from: D, to: D } });
    expect(body.events).toBe(10);
    expect(body.previous).toMatchObject({ events: 8, shoppers: 2, sessions: 2 });
    expect(body.previous.revenue).toEqual([{ currency: 'EUR', value: 50, orders: 1 }]);
    const recs = await call(server, 'GET', `/v1/admin/dashboard/recommendations?site=demo&from=${D + 1}&to=${D + 1}`);
    expect(recs.body.previous).toMatchObject({ impressions: 1, clicks: 1, purchases: 1 });
    const risk = await call(server, 'GET', `/v1/admin/dashboard/risk?site=demo&from=${D + 1}&to=${D + 1}`);
    expect(risk.body.previous).toEqual({ total: 0, confirmed: 0, false: 0 });
    for (const [query, path] of [
      [`from=${D + 1}&to=${D}`, 'from'],
      [`from=${D - 400}&to=${D}`, 'from'],
      ['from=-1', 'from'],
      ['from=soon', 'from'],
    ]) {
      const bad = await call(server, 'GET', `/v1/admin/dashboard/overview?site=demo&${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.details[0].path, query).toBe(path);
    }
  });

  it('attributes purchases to the model and backend whose recommendation was clicked, against the hold-out', async () => {
    const { body } = await call(server, 'GET', `/v1/admin/dashboard/recommendations?${range}`);
    expect(body.byModel).toEqual([
      { model_version: '3', backend: 'wasm', impressions: 1, clicks: 0, ctr: 0, purchases: 0 },
      { model_version: '3', backend: 'webgpu', impressions: 1, clicks: 1, ctr: 1, purchases: 1 },
    ]);
    expect(body.groups).toEqual([
      { group: 'treatment', sessions: 2, with_recs: 2, converted: 2, rate: 1 },
      { group: 'control', sessions: 2, with_recs: 0, converted: 1, rate: 0.5 },
    ]);
  });

  it('lists each flagged session once with its reasons and events, and labels it for the next training run', async () => {
    const risk = await call(server, 'GET', `/v1/admin/dashboard/risk?${range}`);
    // E was flagged twice (an older tag flagged every page): one session, with every reason and its highest score.
    expect(risk.body.total).toBe(1);
    expect(risk.body.sessions).toHaveLength(1);
    // One of five sessions; no anomaly model published for the site, so no calibrated share to hold it against.
    expect(risk.body.seen).toEqual({ sessions: 5, flagged: 1 });
    expect(risk.body.model_versions).toEqual(['2']);
    expect(risk.body.flag_rate).toBeNull();
    const flag = risk.body.sessions[0];
    expect(flag).toMatchObject({
      session_id: 'sess-E',
      flags: 2,
      score: 0.999,
      reasons: ['events_per_minute', 'timing_regularity', 'payment_failures'],
      label: null,
    });
    expect(risk.body.reasons).toEqual([
      { reason: 'events_per_minute', sessions: 1 },
      { reason: 'payment_failures', sessions: 1 },
      { reason: 'timing_regularity', sessions: 1 },
    ]);
    expect(risk.body.days[1]).toEqual({ day: D + 1, sessions: 1, confirmed: 0, false: 0 });

    const events = await call(
      server,
      'GET',
      '/v1/admin/dashboard/risk/session?site=demo&anonymous_id=anon-E&session_id=sess-E',
    );
    expect(events.status).toBe(200);
    expect(events.body.flags).toBe(2);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(['risk_flag', 'view_item', 'risk_flag']);
    expect(events.body.events[1]).toMatchObject({ path: '/p/SKU-7', items: ['SKU-7'] });
    // Only sessions the site flagged, and only the site's own.
    for (const path of [
      '/v1/admin/dashboard/risk/session?site=demo&anonymous_id=anon-A&session_id=sess-A',
      '/v1/admin/dashboard/risk/session?site=demo&anonymous_id=anon-A&session_id=sess-E',
      '/v1/admin/dashboard/risk/session?site=other&anonymous_id=anon-E&session_id=sess-E',
    ])
      expect((await call(server, 'GET', path)).status).toBe(404);
    expect((await call(server, 'GET', '/v1/admin/dashboard/risk/session?site=demo')).status).toBe(400);

    const labelled = await call(server, 'POST', `/v1/admin/risk-flags/${flag.event_id}/label`, {
      site: 'demo',
      label: 'confirmed',
    });
    expect(labelled.status).toBe(200);
    const after = await call(server, 'GET', `/v1/admin/dashboard/risk?${range}`);
    expect(after.body.sessions[0].label).toBe('confirmed');
    expect(after.body.days[1].confirmed).toBe(1);
    // The label is the session's: training reads it once.
    expect(await server.storage.riskLabels.list('demo')).toEqual([
      { session_id: 'sess-E', anonymous_id: 'anon-E', label: 'confirmed' },
    ]);

    // Anyone can send a flag: one naming another shopper's session id is a session of its own,
    // never merged into theirs, never labelled with theirs, never showing their events.
    await server.storage.putSite({ key: 'third', name: 'Third', origins: ['https://third.example'], created_at: 1 });
    const flagOf = (anonymous_id: string, minute: number) =>
      makeEvent({
        anonymous_id,
        session_id: 'sess-shared',
        ts: at(D + 1, minute),
        type: 'risk_flag',
        items: undefined,
        props: { score: 0.99, model_version: '2', reasons: 'events_per_minute' },
      });
    const third = await server.request('/v1/events', {
      method: 'POST',
      headers: { 'X-Aisle-Site': 'third', 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: [flagOf('anon-1', 1), flagOf('anon-2', 2)] }),
    });
    expect(third.status).toBe(200);
    const shared = await call(server, 'GET', `/v1/admin/dashboard/risk?${range.replace('demo', 'third')}`);
    expect(shared.body.total).toBe(2);
    const mine = shared.body.sessions.find((x: { anonymous_id: string }) => x.anonymous_id === 'anon-1');
    await call(server, 'POST', `/v1/admin/risk-flags/${mine.event_id}/label`, { site: 'third', label: 'false' });
    expect(await server.storage.riskLabels.list('third')).toEqual([
      { session_id: 'sess-shared', anonymous_id: 'anon-1', label: 'false' },
    ]);

    const bad = await call(server, 'POST', `/v1/admin/risk-flags/${flag.event_id}/label`, {
      site: 'demo',
      label: 'maybe',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('label');
    const missing = await call(server, 'POST', '/v1/admin/risk-flags/nope/label', { site: 'demo', label: 'false' });
    expect(missing.status).toBe(404);
    const otherSite = await call(server, 'POST', `/v1/admin/risk-flags/${flag.event_id}/label`, {
      site: 'other',
      label: 'false',
    });
    expect(otherSite.status).toBe(404);
  });

  it('counts consent choices, which carry no id', async () => {
    const choose = (choice: unknown) =>
      server.request('/v1/consent?site=demo', { method: 'POST', body: JSON.stringify(choice) });
    for (const c of [
      { analytics: true, personalization: true },
      { analytics: true, personalization: false },
      { analytics: false, personalization: false },
    ])
      expect((await choose(c)).status).toBe(200);
    const refused = await choose({ analytics: true, personalization: true, anonymous_id: 'anon-A' });
    expect(refused.status).toBe(400);
    expect((await refused.json()).details[0].message).toMatch(/anonymous_id|unrecognized/i);
    const today = Math.floor(Date.now() / DAY_MS);
    const { body } = await call(server, 'GET', `/v1/admin/dashboard/overview?site=demo&days=1&to=${today}`);
    expect(body.consent).toEqual({ decisions: 3, analytics: 2, personalization: 1 });
  });

  it('changes a rollout and promotes a version, and refuses a promotion that would be a rollback', async () => {
    const manifest = (version: number) =>
      JSON.stringify({ name: 'recommender', version, site: 'demo', metrics: { ndcg: 0.1 * version }, shards: [] });
    for (const version of [1, 2]) {
      await server.storage.registry.putVersion({
        site: 'demo',
        name: 'recommender',
        version,
        manifest: manifest(version),
        created_at: version,
      });
    }
    await server.storage.registry.setChannel({
      site: 'demo',
      name: 'recommender',
      channel: 'stable',
      version: 1,
      rollout: 100,
      manifest: manifest(1),
      updated_at: 1,
    });
    const rollout = await call(server, 'PUT', '/v1/admin/models/recommender/channels/stable', {
      site: 'demo',
      rollout: 25,
    });
    expect(rollout).toMatchObject({ status: 200, body: { version: 1, rollout: 25 } });
    const promoted = await call(server, 'POST', '/v1/admin/models/recommender/promote', { site: 'demo', version: 2 });
    expect(promoted).toMatchObject({ status: 200, body: { channel: 'stable', version: 2, rollout: 100 } });
    const listed = await call(server, 'GET', '/v1/admin/models?site=demo');
    const v2 = listed.body.models.find((m: { version: number }) => m.version === 2);
    expect(v2.channels).toEqual([{ channel: 'stable', rollout: 100, rollback: false }]);
    const down = await call(server, 'POST', '/v1/admin/models/recommender/promote', { site: 'demo', version: 1 });
    expect(down.status).toBe(409);
    expect(down.body.details[0].message).toContain('aisle rollback recommender --to 1');
    // A downgrade through another channel is a downgrade all the same: stable serves v2, canary gets nothing older.
    const sideways = await call(server, 'POST', '/v1/admin/models/recommender/promote', {
      site: 'demo',
      version: 1,
      channel: 'canary',
      rollout: 50,
    });
    expect(sideways.status).toBe(409);
    expect(sideways.body.details[0].message).toContain('stable serves v2');
    expect((await server.storage.registry.channels('demo', 'recommender')).map((c) => c.channel)).toEqual(['stable']);
    expect(
      (await call(server, 'PUT', '/v1/admin/models/recommender/channels/canary', { site: 'demo', rollout: 5 })).status,
    ).toBe(404);
    expect(
      (await call(server, 'PUT', '/v1/admin/models/recommender/channels/stable', { site: 'demo', rollout: 101 }))
        .status,
    ).toBe(400);
    const audit = await call(server, 'GET', '/v1/admin/audit?site=demo');
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['rollout', 'promote']),
    );
  });

  it('shows nothing without a token, and a read-only token its own site only, changing nothing', async () => {
    for (const path of ['overview', 'segments', 'churn', 'risk', 'recommendations', 'install']) {
      const res = await call(server, 'GET', `/v1/admin/dashboard/${path}?site=demo`, undefined, null);
      expect(res.status).toBe(401);
      expect(res.body.details[0].path).toBe('header Authorization');
      expect((await call(server, 'GET', `/v1/admin/dashboard/${path}?site=demo`, undefined, 'guess')).status).toBe(401);
    }
    const made = await call(server, 'POST', '/v1/admin/tokens', { site: 'demo', name: 'merchant' });
    expect(made.status).toBe(201);
    const reader = made.body.token as string;
    expect((await call(server, 'GET', '/v1/admin/whoami', undefined, reader)).body).toEqual({
      role: 'reader',
      name: 'merchant',
      sites: ['demo'],
    });
    for (const path of ['overview', 'segments', 'churn', 'risk', 'recommendations', 'install'])
      expect((await call(server, 'GET', `/v1/admin/dashboard/${path}?site=demo`, undefined, reader)).status).toBe(200);
    expect((await call(server, 'GET', '/v1/admin/models?site=demo', undefined, reader)).status).toBe(200);
    expect((await call(server, 'GET', '/v1/admin/profiles?site=demo', undefined, reader)).status).toBe(200);
    const refusals: [string, string, unknown?][] = [
      ['GET', '/v1/admin/dashboard/overview?site=other'],
      ['GET', '/v1/admin/stats'],
      ['GET', '/v1/admin/events?site=demo'],
      ['GET', '/v1/admin/tokens?site=demo'],
      ['PUT', '/v1/admin/models/recommender/channels/stable', { site: 'demo', rollout: 10 }],
      ['POST', '/v1/admin/models/recommender/promote', { site: 'demo', version: 2 }],
      ['POST', '/v1/admin/risk-flags/x/label', { site: 'demo', label: 'false' }],
      ['POST', '/v1/admin/tokens', { site: 'demo', name: 'another' }],
      ['PUT', '/v1/admin/retention-policy', { site: 'demo', rules: [] }],
    ];
    for (const [method, path, body] of refusals) {
      const res = await call(server, method, path, body, reader);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error).toEqual(expect.any(String));
    }
    const listed = await call(server, 'GET', '/v1/admin/tokens?site=demo');
    expect(listed.body.tokens).toEqual([expect.objectContaining({ name: 'merchant', id: made.body.id })]);
    expect(JSON.stringify(listed.body)).not.toContain(reader);
    expect((await call(server, 'DELETE', `/v1/admin/tokens/${made.body.id}?site=demo`)).status).toBe(200);
    expect((await call(server, 'GET', '/v1/admin/dashboard/overview?site=demo', undefined, reader)).status).toBe(401);
  });

  it('answers bad input with a JSON 4xx naming it', async () => {
    const cases: [string, number, string][] = [
      ['/v1/admin/dashboard/overview', 400, 'site'],
      ['/v1/admin/dashboard/overview?site=demo&days=0', 400, 'days'],
      ['/v1/admin/dashboard/overview?site=demo&days=abc', 400, 'days'],
      ['/v1/admin/dashboard/overview?site=nowhere', 404, 'site'],
      ['/v1/admin/dashboard/churn?site=nowhere', 404, 'site'],
    ];
    for (const [path, status, field] of cases) {
      const res = await call(server, 'GET', path);
      expect(res.status, path).toBe(status);
      expect(res.body.details[0].path).toBe(field);
    }
    const bigRun = await call(server, 'POST', '/v1/admin/profile-runs', {
      site: 'demo',
      kind: 'profile',
      summary: { x: 'y'.repeat(300_000) },
    });
    expect(bigRun.status).toBe(413);
  });

  it('warns when far more sessions are flagged than the model was calibrated for, and not on a handful', async () => {
    const anomalyModel = async (site: string, flagAt: unknown = 0.99) => {
      await server.storage.putSite({ key: site, name: site, origins: [`https://${site}.example`], created_at: 1 });
      await server.storage.registry.putVersion({
        site,
        name: 'anomaly',
        version: 1,
        manifest: JSON.stringify({ name: 'anomaly', version: 1, site, flag_at: flagAt, metrics: {}, shards: [] }),
        created_at: 1,
      });
    };
    // 60 sessions, every fifth one flagged (12, 20 %) against the 1 % the model was calibrated for.
    const visits = (sessions: number, flagEvery: number) =>
      Array.from({ length: sessions }, (_, k) => [
        makeEvent({ anonymous_id: `anon-${k}`, session_id: `s-${k}`, ts: at(D + 1, k), items: item(`SKU-${k}`) }),
        ...(k % flagEvery === 0
          ? [
              makeEvent({
                anonymous_id: `anon-${k}`,
                session_id: `s-${k}`,
                ts: at(D + 1, k) + 1,
                type: 'risk_flag',
                items: undefined,
                props: { score: 0.995, model_version: '1', reasons: 'events_per_minute' },
              }),
            ]
          : []),
      ]).flat();
    const send = async (site: string, events: AisleEvent[]) => {
      const res = await server.request('/v1/events', {
        method: 'POST',
        headers: { 'X-Aisle-Site': site, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      expect((await res.json()).accepted).toBe(events.length);
      return (await call(server, 'GET', `/v1/admin/dashboard/risk?${range.replace('demo', site)}`)).body;
    };
    const risk = async (site: string, events: AisleEvent[], flagAt?: unknown) => {
      await anomalyModel(site, flagAt);
      return send(site, events);
    };
    const flag = (anonymous_id: string, session_id: string, model_version = '1') =>
      makeEvent({
        anonymous_id,
        session_id,
        ts: at(D + 1, 100),
        type: 'risk_flag',
        items: undefined,
        props: { score: 0.999, model_version, reasons: 'events_per_minute' },
      });
    const busy = await risk('drifted', visits(60, 5));
    expect(busy.total).toBe(12);
    expect(busy.flag_rate).toMatchObject({
      flagged: 12,
      sessions: 60,
      share: 0.2,
      expected: expect.closeTo(0.01, 9),
      verdict: 'high',
    });
    expect(busy.flag_rate).toMatchObject({ model_version: 1 });
    expect(busy.flag_rate.reason).toMatch(
      /^20\.0 % of this period's sessions were flagged \(12 of 60\) .*about 1\.0 %/,
    );
    // An attacker naming a shopper's session under 30 made-up shoppers adds flags to the list, not to
    // the share: a session counts as flagged only by its own shopper's flag.
    const forged = await send(
      'drifted',
      Array.from({ length: 30 }, (_, k) => flag(`anon-x${k}`, 's-1')),
    );
    expect(forged.total).toBe(42);
    expect(forged.flag_rate).toMatchObject({ flagged: 12, sessions: 60, verdict: 'high' });
    // Flags from two versions of the model, each at its own threshold: no one share to judge by.
    const mixed = await send('drifted', [flag('anon-1', 's-1', '2')]);
    expect(mixed.model_versions).toEqual(['1', '2']);
    expect(mixed.flag_rate).toMatchObject({ flagged: 13, verdict: 'unknown' });
    expect(mixed.flag_rate.reason).toMatch(/several models \(v1, v2\)/);
    // A manifest whose threshold is no percentile (a percent by mistake) judges nothing.
    const percent = await risk('percent', visits(60, 5), 99);
    expect(percent.flag_rate).toMatchObject({ flagged: 12, verdict: 'unknown', expected: 0 });
    // Flags from a model the registry does not hold (a development model): no verdict.
    const unknownModel = await risk(
      'elsewhere',
      visits(60, 5).map((e) => (e.type === 'risk_flag' ? { ...e, props: { ...e.props, model_version: '7' } } : e)),
    );
    expect(unknownModel.flag_rate).toBeNull();
    // Two flagged of twelve is as high a share, and too few flags to say anything of a rate.
    const small = await risk('small', visits(12, 6));
    expect(small.flag_rate).toMatchObject({ flagged: 2, sessions: 12, verdict: 'unknown' });
  });

  it('adds up the same whether events are folded as they are stored or read back later', async () => {
    // The same shop for a second site: half stored directly (folded later, by reading them back),
    // half through POST /v1/events while the rollups are behind (so that they are not folded early).
    await server.storage.putSite({ key: 'copy', name: 'Copy', origins: ['https://copy.example'], created_at: 1 });
    const [first, second] = shop().map((batch) => batch.map((e) => ({ ...e, event_id: uuidv7() })));
    await server.storage.insertEvents('copy', first, Date.now());
    const res = await server.request('/v1/events', {
      method: 'POST',
      headers: { 'X-Aisle-Site': 'copy' },
      body: JSON.stringify({ events: second }),
    });
    expect((await res.json()).accepted).toBe(second.length);
    for (const page of ['overview', 'recommendations']) {
      const original = await call(server, 'GET', `/v1/admin/dashboard/${page}?${range}`);
      const copy = await call(server, 'GET', `/v1/admin/dashboard/${page}?${range.replace('demo', 'copy')}`);
      // The events' numbers; the sites' published models differ (the copy has none).
      const { range: _a, freshness: _b, consent: _c, model: _m, ...same } = original.body;
      const { range: _d, freshness: _e, consent: _f, model: _n, ...copied } = copy.body;
      expect(copied, page).toEqual(same);
    }
  });

  it('forgets what the rollups hold of a shopper who is erased', async () => {
    await server.storage.rollups.erase('demo', ['anon-A']);
    const { body } = await call(server, 'GET', `/v1/admin/dashboard/overview?${range}`);
    expect(body.shoppers).toBe(4);
    expect(body.sessions).toBe(4);
    // Counts per day stay: they name no one.
    expect(body.events).toBe(18);
  });
});
