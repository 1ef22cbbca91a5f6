/**
 * Segments, churn risk and retention actions for merchants: what `npm start` does for the demo
 * shop (train the profile and churn models on its simulated season, score every shopper with
 * `aisle score … --publish`), read back filtered and paged, exported as a CSV a spreadsheet opens,
 * with actions from an editable policy — on SQLite and PostgreSQL — and bad input refused.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileJob } from '../edge-server/src/jobs/profiles';
import { demoSigningKey, ensureDemoModels, publishDemoModels, scoreDemoProfiles } from '../examples/storefront/models';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { until } from './helpers/browser';
import { makeEvent } from './helpers/events';
import { startServer, type TestServer, TOKEN, tempSqlite } from './helpers/server';

interface Profile {
  user_id: string;
  segment: string | null;
  tags: string[];
  churn: number | null;
  churn_band: string | null;
  reasons: { feature: string }[];
  value?: { days: number; orders: number; spend: number; active: number } | null;
  action: string;
  message: string;
}

const get = async (server: TestServer, path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const send = async (server: TestServer, method: string, path: string, body: unknown, token = TOKEN) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; details?: { path: string }[] } };
};

describe('the demo shop’s profiles after npm start', () => {
  let server: TestServer;
  let db: ReturnType<typeof tempSqlite>;
  const dir = join(mkdtempSync(join(tmpdir(), 'aisle-profiles-')), 'models');
  let children: string[] = [];
  beforeAll(async () => {
    db = tempSqlite();
    server = await startServer(db.storage);
    await ensureDemoModels(dir, { shoppers: 150, epochs: 1, models: ['profile', 'churn'] }).ready;
    // Every `aisle` child's command line while it runs, as any local user can read them (ps, /proc).
    const seen = new Set<string>();
    const watch = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          if (line.includes('aisle.mjs')) seen.add(line);
        } catch {
          // gone already
        }
      }
    }, 10);
    await scoreDemoProfiles(dir, { server: server.url, token: TOKEN });
    clearInterval(watch);
    children = [...seen];
  }, 180_000);
  afterAll(async () => {
    await server.close();
    db.remove();
  });

  it('hands the operator token to its child processes in their environment, never on a command line', () => {
    expect(children.some((c) => c.includes('score churn'))).toBe(true);
    for (const line of children) expect(line).not.toContain(TOKEN);
  });

  it('lists every demo shopper with a segment, a churn score and its reasons, and an action', async () => {
    const profiles: Profile[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(server, `/v1/admin/profiles?site=demo&limit=40${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      profiles.push(...(page.body.profiles as Profile[]));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(new Set(profiles.map((p) => p.user_id)).size).toBe(profiles.length); // pages neither overlap nor skip
    expect(profiles.length).toBeGreaterThanOrEqual(140);
    for (const p of profiles) {
      expect(p.user_id).toMatch(/^demo-\d+$/);
      expect(p.segment).toEqual(expect.any(String));
      expect(p.churn).toBeGreaterThanOrEqual(0);
      expect(['high', 'medium', 'low']).toContain(p.churn_band);
      expect(['service_call', 'limited_time_coupon', 'personalised_offer', 'care_message', 'none']).toContain(p.action);
    }
    // The default policy, rule by rule.
    for (const p of profiles) {
      if (p.churn_band === 'high')
        expect(p.action).toBe(p.tags.includes('big spender') ? 'service_call' : 'limited_time_coupon');
      if (p.churn_band === 'medium') expect(p.action).toBe('personalised_offer');
    }
    expect(profiles.some((p) => p.reasons.length > 0)).toBe(true);

    const risky = await get(server, '/v1/admin/profiles?site=demo&minChurn=0.5&limit=1000');
    const atRisk = risky.body.profiles as Profile[];
    expect(atRisk.every((p) => (p.churn as number) >= 0.5)).toBe(true);
    expect(atRisk.length).toBe(profiles.filter((p) => (p.churn as number) >= 0.5).length);
    const segment = profiles[0].segment as string;
    const inSegment = (
      await get(server, `/v1/admin/profiles?site=demo&segment=${encodeURIComponent(segment)}&limit=1000`)
    ).body.profiles as Profile[];
    expect(inSegment.length).toBe(profiles.filter((p) => p.segment === segment).length);
  });

  it('exports the same as a CSV a spreadsheet opens', async () => {
    const res = await fetch(`${server.url}/v1/admin/profiles.csv?site=demo&labels=names`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="aisle-profiles-demo\.csv"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // a UTF-8 byte-order mark, for spreadsheets
    const text = bytes.subarray(3).toString('utf8');
    expect(
      text.startsWith(
        'user_id,segment,tags,churn,churn_band,reasons,expected_orders,expected_spend,forecast_days,chance_active,action,message,scored_at\r\n',
      ),
    ).toBe(true);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const listed = (await get(server, '/v1/admin/profiles?site=demo&limit=1000')).body.profiles as Profile[];
    expect(rows.map((r) => r.user_id)).toEqual(listed.map((p) => p.user_id));
    expect(rows.every((r) => Number.isFinite(Number(r.churn)) && r.action)).toBe(true);
    // Every shopper who has bought carries a forecast; the CSV says the same as the list.
    const byId = new Map(listed.map((p) => [p.user_id, p]));
    for (const r of rows) {
      const v = byId.get(r.user_id)?.value;
      expect(r.expected_spend).toBe(v ? v.spend.toFixed(2) : '');
      expect(r.forecast_days).toBe(v ? String(v.days) : '');
    }
    // For people (the default): headings and actions in words, the same rows.
    const people = await fetch(`${server.url}/v1/admin/profiles.csv?site=demo`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.text());
    const read = parse(people, { bom: true, columns: true }) as Record<string, string>[];
    expect(Object.keys(read[0])).toEqual([
      'Shopper',
      'Segment',
      'Tags',
      'Churn probability (0–1)',
      'Churn risk',
      'Reasons',
      'Expected orders',
      'Expected spend',
      'Forecast period (days)',
      'Chance still a customer (0–1)',
      'Retention action',
      'Message',
      'Scored at (UTC)',
    ]);
    expect(read.map((r) => r.Shopper)).toEqual(rows.map((r) => r.user_id));
    expect(read.filter((r) => /_/.test(r['Retention action']))).toEqual([]);
    const bad = await fetch(`${server.url}/v1/admin/profiles.csv?site=demo&labels=klingon`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).details[0].path).toBe('labels');
  });

  it('forecasts each buyer’s orders and spend, and lists those likely to leave by what they are worth', async () => {
    const all = (await get(server, '/v1/admin/profiles?site=demo&limit=1000')).body.profiles as Profile[];
    const valued = all.filter((p) => p.value);
    expect(valued.length).toBeGreaterThan(all.length / 2);
    for (const { value } of valued) {
      expect(value?.days).toBe(30);
      expect(value?.orders).toBeGreaterThanOrEqual(0);
      expect(value?.spend).toBeGreaterThanOrEqual(0);
    }
    // Most expected spend first, a page at a time, neither overlapping nor skipping; those without a forecast last.
    const paged: Profile[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        server,
        `/v1/admin/profiles?site=demo&sort=value&limit=17${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      paged.push(...(page.body.profiles as Profile[]));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(paged.map((p) => p.user_id).sort()).toEqual(all.map((p) => p.user_id).sort());
    const spend = paged.map((p) => p.value?.spend ?? -1);
    expect(spend).toEqual([...spend].sort((a, b) => b - a));
    // Likely to leave and worth keeping: the high band, most expected spend first.
    const keep = (await get(server, '/v1/admin/profiles?site=demo&sort=value&minChurn=0.6&limit=5')).body
      .profiles as Profile[];
    const high = all.filter((p) => (p.churn as number) >= 0.6).map((p) => p.value?.spend ?? -1);
    expect(keep.map((p) => p.value?.spend ?? -1)).toEqual(high.sort((a, b) => b - a).slice(0, 5));
    // A cursor of the other order, or none at all, is refused, naming the cursor.
    const userCursor = Buffer.from('demo-1').toString('base64url');
    for (const bad of [userCursor, 'not-base64-json', Buffer.from('[1]').toString('base64url')]) {
      const r = await get(server, `/v1/admin/profiles?site=demo&sort=value&cursor=${bad}`);
      expect(r.status).toBe(400);
      expect((r.body.details as { path: string }[])[0].path).toBe('cursor');
    }
    expect((await get(server, '/v1/admin/profiles?site=demo&sort=richest')).status).toBe(400);
    // The pages the merchant reads: the shop's expected spend in all and per segment, and the model's record.
    const churn = (await get(server, '/v1/admin/dashboard/churn?site=demo')).body.value as Record<string, unknown>;
    expect(churn).toMatchObject({ days: 30, customers: valued.length });
    expect(churn.spend as number).toBeCloseTo(
      valued.reduce((s, p) => s + (p.value?.spend ?? 0), 0),
      0,
    );
    expect(Object.keys(churn.baselines as object)).toEqual(['last_period', 'average_rate']);
    const segments = (await get(server, '/v1/admin/dashboard/segments?site=demo')).body.value as {
      days: number;
      segments: Record<string, { customers: number; spend: number }>;
    };
    expect(segments.days).toBe(30);
    for (const [name, v] of Object.entries(segments.segments)) {
      const own = valued.filter((p) => (p.segment ?? '') === name);
      expect(v.customers).toBe(own.length);
      expect(v.spend).toBeCloseTo(
        own.reduce((s, p) => s + (p.value?.spend ?? 0), 0),
        0,
      );
    }
  });

  it('scores the live shoppers of every site with a published profile model, and of no other', async () => {
    await server.storage.putSite({ key: 'other', name: 'Other', origins: [], created_at: 1 });
    const day = 86_400_000;
    const visits = (site: string, who: string) =>
      server.storage.insertEvents(
        site,
        [0, 1, 2].map((k) =>
          makeEvent({
            anonymous_id: who,
            type: k === 2 ? 'add_to_cart' : 'view_item',
            ts: Date.now() - (10 - k) * day,
          }),
        ),
        Date.now(),
      );
    await visits('demo', 'live-1');
    await visits('demo', 'live-2');
    await visits('other', 'elsewhere');
    // The demo's models, published signed for the site demo as npm start does; the site other has none.
    const key = await demoSigningKey(join(dir, '..', 'keys'), server.storage.registry);
    await publishDemoModels(dir, {
      server: server.url,
      token: TOKEN,
      keyFile: key.privateFile,
      registry: server.storage.registry,
    });
    const lines: string[] = [];
    const job = profileJob({
      storage: server.storage,
      store: `sqlite:${join(db.dir, 'aisle.db')}`,
      server: server.url,
      token: TOKEN,
      hours: 24,
      workDir: join(dir, '..', 'jobs'),
      log: (line) => lines.push(line),
    });
    try {
      await job.runOnce();
      const both = await Promise.all(['live-1', 'live-2'].map((id) => server.storage.profiles.get('demo', id)));
      expect(
        both.every((p) => p?.segment_name && p.churn !== null),
        lines.join('\n'),
      ).toBe(true);
      expect(await server.storage.profiles.get('other', 'elsewhere')).toBeUndefined();
      expect(lines).toContain('scored the shoppers of site demo');
    } finally {
      job.stop();
    }
  }, 120_000);

  it('follows the merchant’s own policy once it is edited, and refuses a broken one', async () => {
    const rules = [{ churn: ['high', 'medium'], action: 'care_message', message: 'We miss you' }, { action: 'none' }];
    expect((await send(server, 'PUT', '/v1/admin/retention-policy?site=demo', { rules })).status).toBe(200);
    const policy = await get(server, '/v1/admin/retention-policy?site=demo');
    expect(policy.body.default).toBe(false);
    const profiles = (await get(server, '/v1/admin/profiles?site=demo&limit=1000')).body.profiles as Profile[];
    for (const p of profiles) expect(p.action).toBe(p.churn_band === 'low' ? 'none' : 'care_message');

    const broken = await send(server, 'PUT', '/v1/admin/retention-policy?site=demo', {
      rules: [{ action: 'free money' }],
    });
    expect(broken.status).toBe(400);
    expect(broken.body.details?.[0].path).toBe('rules.0.action');
    expect((await send(server, 'PUT', '/v1/admin/retention-policy?site=demo', '{ not json')).status).toBe(400);
  });
});

const adapters = await serverAdapters();

describe.each(adapters)('storing profiles ($name)', (adapter) => {
  let opened: OpenServer;
  beforeAll(async () => {
    opened = await adapter.open();
  });
  afterAll(async () => opened.close());

  it('merges the segment and the churn job’s rows per shopper, and refuses what is malformed', async () => {
    const { server } = opened;
    const profile = {
      site: 'demo',
      kind: 'profile',
      rows: [{ user_id: 'u1', segment_name: 'regulars', tags: ['big spender'] }],
    };
    const churn = {
      site: 'demo',
      kind: 'churn',
      rows: [
        {
          user_id: 'u1',
          probability: 0.9,
          flagged: true,
          reasons: [{ feature: 'days_since_last_event', value: 40, effect: 1.2, text: 'last seen 40 days ago' }],
        },
      ],
    };
    expect((await send(server, 'POST', '/v1/admin/profiles', profile)).status).toBe(200);
    expect((await send(server, 'POST', '/v1/admin/profiles', churn)).status).toBe(200);
    const [u1] = (await get(server, '/v1/admin/profiles?site=demo')).body.profiles as Profile[];
    expect(u1).toMatchObject({
      user_id: 'u1',
      segment: 'regulars',
      churn: 0.9,
      churn_band: 'high',
      action: 'service_call',
    });
    expect(u1.reasons[0]).toMatchObject({ feature: 'days_since_last_event', text: 'last seen 40 days ago' });

    const bad = await send(server, 'POST', '/v1/admin/profiles', {
      ...churn,
      rows: [{ user_id: 'u2', probability: 2, flagged: true, reasons: [] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details?.[0].path).toBe('rows.0.probability');
    const wordy = await send(server, 'POST', '/v1/admin/profiles', {
      ...churn,
      rows: [{ ...churn.rows[0], reasons: [{ feature: 'x', value: 1, effect: 1, text: 'y'.repeat(301) }] }],
    });
    expect(wordy.status).toBe(400);
    expect(wordy.body.details?.[0].path).toBe('rows.0.reasons.0.text');
    expect((await send(server, 'POST', '/v1/admin/profiles', { ...profile, site: 'nowhere' })).status).toBe(404);
    expect((await send(server, 'POST', '/v1/admin/profiles', profile, 'wrong')).status).toBe(401);
    expect((await get(server, '/v1/admin/profiles?site=demo&minChurn=7')).status).toBe(400);
    // A forecast that is not one: negative spend, a chance above one, a field no scorer sends, days as text.
    for (const [value, path] of [
      [{ days: 90, orders: 1, spend: -5, active: 0.5 }, 'rows.0.value.spend'],
      [{ days: 90, orders: 1, spend: 5, active: 2 }, 'rows.0.value.active'],
      [{ days: 90, orders: 1, spend: 5, active: 0.5, note: 'x' }, 'rows.0.value'],
      [{ days: '90', orders: 1, spend: 5, active: 0.5 }, 'rows.0.value.days'],
    ] as const) {
      const r = await send(server, 'POST', '/v1/admin/profiles', { ...churn, rows: [{ ...churn.rows[0], value }] });
      expect(r.status).toBe(400);
      expect(r.body.details?.[0].path).toBe(path);
    }
    // What was stored before the bad requests is still there.
    expect(((await get(server, '/v1/admin/profiles?site=demo')).body.profiles as Profile[]).length).toBe(1);
  });

  it('keeps each shopper’s value forecast with their churn risk, sorts by it and sums it per segment', async () => {
    const { server } = opened;
    const site = 'valued';
    await server.storage.putSite({ key: site, name: 'Valued', origins: [], created_at: 1 });
    const rows = Array.from({ length: 30 }, (_, i) => ({
      user_id: `v${String(i).padStart(2, '0')}`,
      probability: (i % 10) / 10,
      flagged: i % 10 >= 6,
      reasons: [],
      // Spends tie in pairs, so the order within a tie (by user id) is checked too; every fifth has no forecast.
      // Thirds and tenths: amounts no float holds exactly, so the cursor meets them as stored.
      ...(i % 5 === 4
        ? {}
        : { value: { days: 90, orders: i / 10, spend: Math.floor(i / 2) / 3 + 0.1, active: i % 3 ? 0.9 : null } }),
    }));
    expect((await send(server, 'POST', '/v1/admin/profiles', { site, kind: 'churn', rows })).status).toBe(200);
    const segs = rows.map((r, i) => ({ user_id: r.user_id, segment_name: i < 15 ? 'early' : 'late', tags: [] }));
    expect((await send(server, 'POST', '/v1/admin/profiles', { site, kind: 'profile', rows: segs })).status).toBe(200);
    const paged: Profile[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        server,
        `/v1/admin/profiles?site=${site}&sort=value&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...(page.body.profiles as Profile[]));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    const cents = (x: number) => Math.round(x * 100) / 100;
    const expected = [...rows]
      .sort((a, b) => cents(b.value?.spend ?? -1) - cents(a.value?.spend ?? -1) || (a.user_id < b.user_id ? -1 : 1))
      .map((r) => r.user_id);
    expect(paged.map((p) => p.user_id)).toEqual(expected);
    // Kept to the cent; a customer of one order has no chance of being active to tell.
    expect(paged[0].value).toEqual({ days: 90, orders: 2.8, spend: cents(14 / 3 + 0.1), active: 0.9 });
    expect(paged.find((p) => p.user_id === 'v03')?.value).toMatchObject({ active: null });
    expect(paged.at(-1)?.value).toBeNull();
    const segments = (await get(server, `/v1/admin/dashboard/segments?site=${site}`)).body.value as {
      segments: Record<
        string,
        { customers: number; orders: number; spend: number; spend_high_risk: number; churn: number }
      >;
    };
    const sum = (from: number, to: number, pick: (r: (typeof rows)[number]) => number) =>
      rows.slice(from, to).reduce((s, r) => s + pick(r), 0);
    expect(segments.segments.early.customers).toBe(12);
    expect(segments.segments.early.spend).toBeCloseTo(
      sum(0, 15, (r) => r.value?.spend ?? 0),
      6,
    );
    expect(segments.segments.late.spend_high_risk).toBeCloseTo(
      sum(15, 30, (r) => (r.probability >= 0.6 ? cents(r.value?.spend ?? 0) : 0)),
      6,
    );
    expect(segments.segments.late.churn).toBeCloseTo(sum(15, 30, (r) => r.probability) / 15, 6);
    // A run's report of its value model that is not one (a careless or old scorer) shows no model, not a broken page.
    for (const value of [{ baselines: { last_period: null } }, 'fine', { as_of: 1, horizon_days: 90, customers: 3 }]) {
      const posted = await send(server, 'POST', '/v1/admin/profile-runs', { site, kind: 'churn', summary: { value } });
      expect(posted.status).toBeLessThan(300);
      const page = await get(server, `/v1/admin/dashboard/churn?site=${site}`);
      expect(page.status).toBe(200);
      expect(page.body.value).toBeNull();
      expect((await get(server, `/v1/admin/dashboard/segments?site=${site}`)).body.value).toMatchObject({ days: null });
    }
    // A churn run without forecasts clears the old ones: a forecast is only as fresh as its risk.
    await send(server, 'POST', '/v1/admin/profiles', {
      site,
      kind: 'churn',
      rows: [{ user_id: 'v00', probability: 0.1, flagged: false, reasons: [] }],
    });
    const [v00] = (await get(server, `/v1/admin/profiles?site=${site}&limit=1`)).body.profiles as Profile[];
    expect(v00.value).toBeNull();
  });
});

describe('webhooks to the merchant’s CRM', () => {
  let server: TestServer;
  let db: ReturnType<typeof tempSqlite>;
  let receiver: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failFirst = 2;
  beforeAll(async () => {
    db = tempSqlite();
    server = await startServer(db.storage, { webhooks: { backoffMs: () => 50 } });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        const path = req.url ?? '';
        const status = path.startsWith('/refuses') ? 400 : failFirst-- > 0 ? 500 : 200;
        res.writeHead(status, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server.close();
    db.remove();
    receiver.close();
  });

  it('pushes the shoppers at risk, signed, and retries a failing receiver until it answers', async () => {
    const made = await send(server, 'POST', '/v1/admin/webhooks', { site: 'demo', url: `${url}/crm`, min_churn: 0.5 });
    expect(made.status).toBe(201);
    const { id, secret } = made.body as unknown as { id: string; secret: string };
    expect(secret.length).toBeGreaterThan(30);
    await send(server, 'POST', '/v1/admin/profiles', {
      site: 'demo',
      kind: 'profile',
      rows: [{ user_id: 'at-risk', segment_name: 'regulars', tags: [] }],
    });
    await send(server, 'POST', '/v1/admin/profiles', {
      site: 'demo',
      kind: 'churn',
      rows: [
        {
          user_id: 'at-risk',
          probability: 0.8,
          flagged: true,
          reasons: [{ feature: 'sessions', value: 1, effect: 0.7 }],
        },
        { user_id: 'fine', probability: 0.1, flagged: false, reasons: [] },
      ],
    });
    await until('three attempts', () => (received.length >= 3 ? true : undefined), 10_000);
    const last = received[2];
    const body = JSON.parse(last.body);
    expect(body).toMatchObject({ event: 'users.at_risk', site: 'demo' });
    expect(body.users).toEqual([
      expect.objectContaining({
        user_id: 'at-risk',
        segment: 'regulars',
        churn: 0.8,
        churn_band: 'high',
        action: 'limited_time_coupon',
      }),
    ]);
    const timestamp = last.headers['x-aisle-timestamp'] as string;
    const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${last.body}`).digest('hex')}`;
    expect(last.headers['x-aisle-signature']).toBe(expected);
    expect(new Set(received.map((r) => r.headers['x-aisle-delivery'])).size).toBe(1); // one delivery, tried three times

    const listed = await until('the delivery recorded', async () => {
      const hooks = (await get(server, '/v1/admin/webhooks?site=demo')).body.webhooks as {
        id: string;
        secret?: string;
        deliveries: { status: string; attempts: number; last_error: string | null }[];
      }[];
      return hooks[0].deliveries[0]?.status === 'delivered' ? hooks : undefined;
    });
    expect(listed[0]).toMatchObject({ id, deliveries: [{ status: 'delivered', attempts: 3, last_error: null }] });
    expect(listed[0].secret).toBeUndefined();
  });

  it('gives up on a receiver that refuses the body, and refuses a webhook it could never call', async () => {
    await send(server, 'POST', '/v1/admin/webhooks', { site: 'demo', url: `${url}/refuses`, min_churn: 0.9 });
    const before = received.length;
    await send(server, 'POST', '/v1/admin/profiles', {
      site: 'demo',
      kind: 'churn',
      rows: [{ user_id: 'leaving', probability: 0.95, flagged: true, reasons: [] }],
    });
    const failed = await until('the refusal recorded', async () => {
      const hooks = (await get(server, '/v1/admin/webhooks?site=demo')).body.webhooks as {
        url: string;
        deliveries: { status: string; attempts: number; last_error: string }[];
      }[];
      const d = hooks.find((h) => h.url.endsWith('/refuses'))?.deliveries[0];
      return d?.status === 'failed' ? d : undefined;
    });
    expect(failed).toMatchObject({ attempts: 1, last_error: 'HTTP 400' });
    expect(received.filter((r) => r.body.includes('"leaving"')).length).toBe(2); // the /crm hook (0.5) and /refuses once
    expect(received.length).toBe(before + 2);
    const bad = await send(server, 'POST', '/v1/admin/webhooks', { site: 'demo', url: 'ftp://example.com' });
    expect(bad.status).toBe(400);
    expect(bad.body.details?.[0].path).toBe('url');
  });
});
