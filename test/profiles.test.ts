/**
 * Segments, churn risk and retention actions for merchants: what `npm start` does for the demo
 * shop (train the profile and churn models on its simulated season, score every shopper with
 * `aisle score … --publish`), read back filtered and paged, exported as a CSV a spreadsheet opens,
 * with actions from an editable policy — on SQLite and PostgreSQL — and bad input refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoModels, scoreDemoProfiles } from '../edge-server/src/demo-models';
import { openTestPostgres, postgresAvailable } from './helpers/postgres';
import { startServer, type TestServer, TOKEN, tempSqlite } from './helpers/server';

interface Profile {
  user_id: string;
  segment: string | null;
  tags: string[];
  churn: number | null;
  churn_band: string | null;
  reasons: { feature: string }[];
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
  beforeAll(async () => {
    db = tempSqlite();
    server = await startServer(db.storage);
    await ensureDemoModels(dir, { shoppers: 150, epochs: 1, models: ['profile', 'churn'] }).ready;
    await scoreDemoProfiles(dir, { server: server.url, token: TOKEN });
  }, 180_000);
  afterAll(async () => {
    await server.close();
    db.remove();
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
    const res = await fetch(`${server.url}/v1/admin/profiles.csv?site=demo`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="aisle-profiles-demo\.csv"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // a UTF-8 byte-order mark, for spreadsheets
    const text = bytes.subarray(3).toString('utf8');
    expect(text.startsWith('user_id,segment,tags,churn,churn_band,reasons,action,message,scored_at\r\n')).toBe(true);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const listed = (await get(server, '/v1/admin/profiles?site=demo&limit=1000')).body.profiles as Profile[];
    expect(rows.map((r) => r.user_id)).toEqual(listed.map((p) => p.user_id));
    expect(rows.every((r) => Number.isFinite(Number(r.churn)) && r.action)).toBe(true);
  });

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

const adapters: { name: string; open(): Promise<{ server: TestServer; close(): Promise<void> }> }[] = [
  {
    name: 'SQLite',
    async open() {
      const db = tempSqlite();
      const server = await startServer(db.storage);
      return {
        server,
        async close() {
          await server.close();
          db.remove();
        },
      };
    },
  },
];
if (await postgresAvailable()) {
  adapters.push({
    name: 'PostgreSQL',
    async open() {
      const t = await openTestPostgres();
      const server = await startServer(t.storage);
      return {
        server,
        async close() {
          await server.close();
          await t.drop();
        },
      };
    },
  });
}

describe.each(adapters)('storing profiles ($name)', (adapter) => {
  let opened: Awaited<ReturnType<(typeof adapters)[number]['open']>>;
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
          reasons: [{ feature: 'days_since_last_event', value: 40, effect: 1.2 }],
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
    expect(u1.reasons[0].feature).toBe('days_since_last_event');

    const bad = await send(server, 'POST', '/v1/admin/profiles', {
      ...churn,
      rows: [{ user_id: 'u2', probability: 2, flagged: true, reasons: [] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details?.[0].path).toBe('rows.0.probability');
    expect((await send(server, 'POST', '/v1/admin/profiles', { ...profile, site: 'nowhere' })).status).toBe(404);
    expect((await send(server, 'POST', '/v1/admin/profiles', profile, 'wrong')).status).toBe(401);
    expect((await get(server, '/v1/admin/profiles?site=demo&minChurn=7')).status).toBe(400);
    // What was stored before the bad requests is still there.
    expect(((await get(server, '/v1/admin/profiles?site=demo')).body.profiles as Profile[]).length).toBe(1);
  });
});
