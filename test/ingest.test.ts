/**
 * POST /v1/events and GET /v1/admin/stats over a real socket, on SQLite and on PostgreSQL:
 * every bad input gets a 4xx naming what and where, and nothing already accepted is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageAdapters } from './helpers/adapters';
import { makeEvent, makeEvents } from './helpers/events';
import { startServer, type TestServer, TOKEN } from './helpers/server';

const adapters = await storageAdapters({ memory: true });

describe.each(adapters)('ingest on $name', (adapter) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  const post = (body: unknown, headers: Record<string, string> = { 'X-Aisle-Site': 'demo' }, path = '/v1/events') =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const stats = async () =>
    (await fetch(`${server.url}/v1/admin/stats`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();

  beforeAll(async () => {
    const opened = await adapter.open();
    cleanup = opened.close;
    server = await startServer(opened.storage, { rateLimit: { perClient: 100_000 } }, [
      'https://shop.example',
      'https://*.brand.example',
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('stores a valid batch and says how many it accepted', async () => {
    const res = await post({ events: makeEvents(3) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
  });

  it('stores a resent batch once and reports the repeats as duplicates', async () => {
    const events = makeEvents(4, { type: 'add_to_cart' });
    const before = (await stats()).events;
    await post({ events });
    const again = await post({ events: [...events, events[0]] });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 5, rejected: [] });
    expect((await stats()).events).toBe(before + 4);
  });

  it('counts an event repeated inside one batch once', async () => {
    const e = makeEvent();
    expect(await (await post({ events: [e, e] })).json()).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
  });

  it('keeps the valid events of a mixed batch and names what is wrong with the rest', async () => {
    const good = makeEvents(2, { type: 'page_view', items: undefined });
    const res = await post({ events: [good[0], { ...makeEvent(), ts: 'yesterday' }, good[1], { type: 'search' }] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 3]);
    expect(body.rejected[0].errors).toEqual([expect.objectContaining({ path: 'ts' })]);
    expect(body.rejected[1].errors.map((e: { path: string }) => e.path)).toContain('event_id');
    const stored = await server.storage.events({ type: 'page_view', limit: 100 });
    expect(stored.map((s) => s.event.event_id)).toEqual(expect.arrayContaining(good.map((g) => g.event_id)));
  });

  it('answers malformed JSON with 400 and where it broke', async () => {
    const res = await post('{"events": [');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('request body is not valid JSON');
    expect(body.details[0].message).toMatch(/JSON/);
  });

  it('answers a body without an events array with 400', async () => {
    for (const body of [{}, { events: 'x' }, [], null, 42]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect((await res.json()).details[0].path).toBe('events');
    }
  });

  it('answers a missing site key with 401', async () => {
    const res = await post({ events: [makeEvent()] }, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'missing site key', details: [{ path: 'header X-Aisle-Site' }] });
  });

  it('answers an unknown site key with 403 and a malformed one with 400', async () => {
    const unknown = await post({ events: [makeEvent()] }, { 'X-Aisle-Site': 'nobody' });
    expect(unknown.status).toBe(403);
    expect((await unknown.json()).error).toBe('unknown site key');
    const malformed = await post({ events: [makeEvent()] }, { 'X-Aisle-Site': 'k'.repeat(65) });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toBe('malformed site key');
  });

  it('answers a body over 1 MiB with 413', async () => {
    const big = JSON.stringify({ events: [makeEvent()], padding: 'x'.repeat(1_100_000) });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'request body too large' });
  });

  it('answers more than 500 events with 413 naming the count', async () => {
    const res = await post({ events: makeEvents(501) });
    expect(res.status).toBe(413);
    expect((await res.json()).details).toEqual([{ path: 'events', message: 'got 501, at most 500 per request' }]);
  });

  it('accepts exactly 500 events', async () => {
    expect((await (await post({ events: makeEvents(500) })).json()).accepted).toBe(500);
  });

  it('refuses a request with an over-long field, naming the event and field, and stores none of it', async () => {
    const before = (await stats()).events;
    const long = makeEvent({ items: [{ item_id: 'SKU-1', item_name: 'n'.repeat(501) }] });
    const res = await post({ events: [makeEvent(), long] });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('field too long');
    expect(body.details).toEqual([{ index: 1, path: 'items.0.item_name', message: expect.stringContaining('500') }]);
    expect((await stats()).events).toBe(before);
  });

  it('takes the site key from ?site= and a text/plain body, as beacons send them', async () => {
    const res = await fetch(`${server.url}/v1/events?site=demo`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ events: [makeEvent()] }),
    });
    expect((await res.json()).accepted).toBe(1);
  });

  it('answers CORS only for origins on the site allow-list', async () => {
    const allowed = await post({ events: [makeEvent()] }, { 'X-Aisle-Site': 'demo', Origin: 'https://shop.example' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const sub = await post({ events: [makeEvent()] }, { 'X-Aisle-Site': 'demo', Origin: 'https://eu.brand.example' });
    expect(sub.status).toBe(200);
    const denied = await post({ events: [makeEvent()] }, { 'X-Aisle-Site': 'demo', Origin: 'https://evil.example' });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect((await denied.json()).error).toBe('origin not allowed');
  });

  it('answers preflights for allowed origins and refuses the rest', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/v1/events`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-aisle-site',
        },
      });
    const ok = await preflight('https://shop.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toContain('X-Aisle-Site');
    expect((await preflight('https://evil.example')).status).toBe(403);
  });

  it('lets the page read why a request from its origin was refused', async () => {
    const res = await post('not json', { 'X-Aisle-Site': 'demo', Origin: 'https://shop.example' });
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('guards stats with the operator token', async () => {
    const none = await fetch(`${server.url}/v1/admin/stats`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await none.json()).error).toBe('missing operator token');
    const wrong = await fetch(`${server.url}/v1/admin/stats`, { headers: { Authorization: 'Bearer nope' } });
    expect((await wrong.json()).error).toBe('invalid operator token');
  });

  it('reports totals by type and site with the time span', async () => {
    const s = await stats();
    expect(s.events).toBeGreaterThan(500);
    expect(s.byType.view_item).toBeGreaterThan(0);
    expect(s.byType.add_to_cart).toBe(4);
    expect(s.sites).toBe(1);
    expect(s.bySite.demo).toBe(s.events);
    expect(s.firstTs).toBeLessThanOrEqual(s.lastTs);
    expect(Object.values(s.byType as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(s.events);
  });

  it('answers unknown API routes with JSON 404', async () => {
    const res = await fetch(`${server.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not found' });
  });
});

describe.each(adapters)('rate limiting on $name', (adapter) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const opened = await adapter.open();
    cleanup = opened.close;
    server = await startServer(opened.storage, { trustProxy: true, rateLimit: { perClient: 3, perSite: 6 } });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });
  const post = (client: string) =>
    fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'X-Aisle-Site': 'demo', 'X-Forwarded-For': client },
      body: JSON.stringify({ events: [makeEvent()] }),
    });

  it('answers 429 with Retry-After once a client is over its limit, and other clients still pass', async () => {
    for (let i = 0; i < 3; i++) expect((await post('10.0.0.1')).status).toBe(200);
    const limited = await post('10.0.0.1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).details[0].message).toContain('3 requests per client');
    expect((await post('10.0.0.2')).status).toBe(200);
  });

  it('caps the whole site too, counting only the requests it admitted', async () => {
    // Admitted so far: 3 + 1 (the refused fourth of 10.0.0.1 was not charged to the site).
    expect((await post('10.0.0.3')).status).toBe(200);
    expect((await post('10.0.0.4')).status).toBe(200);
    const limited = await post('10.0.0.5');
    expect(limited.status).toBe(429);
    expect((await limited.json()).details[0].message).toContain('6 requests per site');
  });
});
