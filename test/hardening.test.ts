/**
 * The edge server played as an attacker and as a careless client would, over real sockets, on
 * SQLite and PostgreSQL: characters a store cannot keep, bodies that are not UTF-8 or too large,
 * ids in other cases, numbers out of range. Each test here failed on the code before it was fixed.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { makeEvent } from './helpers/events';
import { rawPost } from './helpers/http';
import { TOKEN } from './helpers/server';

const adapters = await serverAdapters({ rateLimit: { perClient: 100_000 } });

describe.each(adapters)('bad characters and careless clients on $name', (adapter) => {
  let opened: OpenServer;
  const post = (events: unknown[]) =>
    fetch(`${opened.server.url}/v1/events?site=demo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    });
  const stored = async (anonymous_id: string) =>
    (await opened.server.storage.events({ site: 'demo' })).filter((e) => e.event.anonymous_id === anonymous_id);

  beforeAll(async () => {
    opened = await adapter.open();
  });
  afterAll(async () => opened.close());

  it('refuses only the event with a NUL or an unpaired surrogate, names the field, and keeps its neighbours', async () => {
    const who = 'bad-chars';
    const good = [makeEvent({ anonymous_id: who }), makeEvent({ anonymous_id: who })];
    const batch = [
      good[0],
      makeEvent({ anonymous_id: who, page: { url: 'https://shop.example/a\u0000b' } }),
      makeEvent({ anonymous_id: who, items: [{ item_id: 'SKU-1', item_name: `${'x'.repeat(10)}\ud83d` }] }),
      makeEvent({ anonymous_id: who, type: 'like', props: { 'k\udc00': 1 } }),
      good[1],
    ];
    const res = await post(batch);
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer.accepted).toBe(2);
    expect(answer.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 3]);
    expect(answer.rejected.map((r: { errors: { path: string }[] }) => r.errors[0].path)).toEqual([
      'page.url',
      'items.0.item_name',
      'props',
    ]);
    expect(answer.rejected[0].errors[0].message).toMatch(/NUL|surrogate/);
    // A resend (what an outbox does) is answered the same way, and the store holds the good two once.
    const again = await post(batch);
    expect(again.status).toBe(200);
    expect((await again.json()).duplicates).toBe(2);
    expect((await stored(who)).map((e) => e.event.event_id).sort()).toEqual(good.map((e) => e.event_id).sort());
    // A well-formed emoji (a surrogate pair) is stored as it was sent.
    const emoji = makeEvent({ anonymous_id: who, items: [{ item_id: 'SKU-1', item_name: `${'x'.repeat(498)}😀` }] });
    expect((await (await post([emoji])).json()).accepted).toBe(1);
    const back = (await stored(who)).find((e) => e.event.event_id === emoji.event_id);
    expect(back?.event.items?.[0].item_name).toBe(emoji.items?.[0].item_name);
  });

  it('refuses a body that is not UTF-8, saying so, instead of storing replacement characters', async () => {
    const text = JSON.stringify({
      events: [makeEvent({ anonymous_id: 'bad-utf8', search_term: 'AAA', type: 'search' })],
    });
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf('AAA')] = 0xff; // a byte that never occurs in UTF-8
    const res = await rawPost(`${opened.server.url}/v1/events?site=demo`, bytes);
    expect(res).toMatchObject({ status: 400, json: { error: expect.stringMatching(/UTF-8/) } });
    expect(await stored('bad-utf8')).toEqual([]);
  });

  it('treats an upper-case copy of a stored event id as the same event', async () => {
    const e = makeEvent({ anonymous_id: 'upper-case' });
    expect((await (await post([e])).json()).accepted).toBe(1);
    const upper = await post([{ ...e, event_id: e.event_id.toUpperCase() }]);
    expect(await upper.json()).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect(await stored('upper-case')).toHaveLength(1);
  });

  it('refuses numbers no JSON number should be: 1e400 in props, a negative price or quantity', async () => {
    const who = 'numbers';
    const huge = JSON.stringify({ events: [makeEvent({ anonymous_id: who, type: 'like', props: { n: 7 } })] }).replace(
      '"n":7',
      '"n":1e400',
    );
    const res = await rawPost(`${opened.server.url}/v1/events?site=demo`, Buffer.from(huge));
    expect(res).toMatchObject({ status: 200, json: { rejected: [{ index: 0 }] } });
    const priced = await post([
      makeEvent({ anonymous_id: who, items: [{ item_id: 'SKU-1', price: -5 }] }),
      makeEvent({ anonymous_id: who, items: [{ item_id: 'SKU-1', quantity: 0 }] }),
    ]);
    const answer = await priced.json();
    expect(answer.rejected.map((r: { errors: { path: string }[] }) => r.errors[0].path)).toEqual([
      'items.0.price',
      'items.0.quantity',
    ]);
    expect(await stored(who)).toEqual([]);
  });

  it('answers a body over the limit with a readable 413, also when the length header announced it', async () => {
    const big = Buffer.from(JSON.stringify({ events: [makeEvent({ props: { pad: 'x'.repeat(900) } })] }));
    const body = Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(8 * 1024 * 1024, 'x'), Buffer.from('"}')]);
    for (let round = 0; round < 5; round++) {
      const res = await rawPost(`${opened.server.url}/v1/events?site=demo`, body);
      expect(res).toMatchObject({ status: 413, json: { error: 'request body too large' } });
    }
    // And the server goes on answering.
    expect((await rawPost(`${opened.server.url}/v1/events?site=demo`, big)).status).toBe(200);
  });

  it('answers a body nested thousands deep with a 4xx or a rejection, never a 500', async () => {
    const deep = `{"events":[${'['.repeat(6000)}"\\u0041"${']'.repeat(6000)}, ${JSON.stringify(makeEvent({ anonymous_id: 'deep' }))}]}`;
    const res = await rawPost(`${opened.server.url}/v1/events?site=demo`, Buffer.from(deep));
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(500);
    if (res.status === 200) expect(res.json).toMatchObject({ accepted: 1, rejected: [{ index: 0 }] });
    const admin = `{"site":"demo","kind":"churn","rows":${'['.repeat(6000)}"\\u0041"${']'.repeat(6000)}}`;
    const refused = await rawPost(`${opened.server.url}/v1/admin/profiles`, Buffer.from(admin), {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(refused.status).toBe(400);
  });

  it('takes a client that goes away mid-body calmly: no 500, no stack trace in the log', async () => {
    const errors = vi.spyOn(console, 'error');
    const { port } = new URL(opened.server.url);
    for (const head of ['Content-Length: 100000', 'Transfer-Encoding: chunked']) {
      await new Promise<void>((done) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(`POST /v1/events?site=demo HTTP/1.1\r\nHost: x\r\n${head}\r\n\r\n`);
          socket.write(head.startsWith('Content') ? '{"events":[' : '10\r\n{"events":[{"a":1\r\n');
          setTimeout(() => {
            socket.destroy();
            done();
          }, 100);
        });
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.mock.calls.filter((c) => String(c[0]).includes('unhandled'))).toEqual([]);
    errors.mockRestore();
  });

  it('refuses NUL and unpaired surrogates in every JSON route, naming the field, never with a 500', async () => {
    const res = await fetch(`${opened.server.url}/v1/admin/profiles`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        site: 'demo',
        kind: 'churn',
        rows: [{ user_id: 'a\u0000b', probability: 0.5, flagged: false, reasons: [] }],
      }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).details[0].path).toBe('rows.0.user_id');
  });
});

describe.each(await serverAdapters({ trustProxy: 1, rateLimit: { perClient: 5, perSite: 20 } }))(
  'one client against a site’s rate limit on $name',
  (adapter) => {
    let opened: OpenServer;
    beforeAll(async () => {
      opened = await adapter.open();
    });
    afterAll(async () => opened.close());
    const post = (forwardedFor: string) =>
      fetch(`${opened.server.url}/v1/events?site=demo`, {
        method: 'POST',
        headers: { 'X-Forwarded-For': forwardedFor },
        body: JSON.stringify({ events: [makeEvent()] }),
      });

    it('cannot lock the other shoppers out, nor pass for many clients by writing X-Forwarded-For itself', async () => {
      // The load balancer appends the address it saw (10.0.0.66); what the client wrote comes before it.
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await post(`203.0.113.${i}, 10.0.0.66`)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
      // Every other shopper still gets in, up to the site's own budget (20 in all, 5 of them the flooder's).
      const others = [];
      for (let i = 1; i <= 3; i++) for (let j = 0; j < 5; j++) others.push((await post(`10.0.1.${i}`)).status);
      expect(others.every((s) => s === 200)).toBe(true);
      const over = await post('10.0.1.9');
      expect(over.status).toBe(429);
      expect((await over.json()).details[0].message).toContain('20 requests per site');
    });
  },
);

describe.each(await serverAdapters({ rateLimit: { perClient: 50 } }))(
  'bodies no route may take in whole on $name',
  (adapter) => {
    let opened: OpenServer;
    beforeAll(async () => {
      opened = await adapter.open();
    });
    afterAll(async () => opened.close());

    /** Streams `megabytes` of junk to `path` (no length announced); the answer, and how much memory the server grew. */
    function flood(path: string, megabytes: number): Promise<{ status: number; body: string; grewMb: number }> {
      const before = process.memoryUsage().rss;
      let peak = before;
      const sample = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      return new Promise((resolve) => {
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        let sent = 0;
        const body = new Readable({
          read() {
            this.push(sent++ < megabytes ? chunk : null);
          },
        });
        const req = httpRequest(`${opened.server.url}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Device ${'a'.repeat(43)}` },
        });
        const done = (status: number, text: string) => {
          clearInterval(sample);
          resolve({ status, body: text, grewMb: (peak - before) / 2 ** 20 });
        };
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => done(res.statusCode ?? 0, text));
        });
        // The server may close while we still write, after its answer; without one, that is the failure.
        req.on('error', (e) => setTimeout(() => done(0, `no answer: ${e.message}`), 1000));
        body.pipe(req);
      });
    }

    it('answers a 200 MB body to /v1/me with 413 without holding it, and keeps answering', async () => {
      const answer = await flood('/v1/me/identity?site=demo', 200);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'request body too large' });
      expect(answer.grewMb).toBeLessThan(100);
      expect((await fetch(`${opened.server.url}/healthz`)).status).toBe(200);
    }, 60_000);

    it('limits the size of every JSON body, the operator’s routes too', async () => {
      const big = Buffer.from(JSON.stringify({ site: 'demo', name: 'x'.repeat(200_000) }));
      for (const [path, auth] of [
        ['/v1/consent?site=demo', ''],
        ['/v1/me/identity?site=demo', `Device ${'a'.repeat(43)}`],
        ['/v1/admin/tokens', `Bearer ${TOKEN}`],
        ['/v1/admin/sites', `Bearer ${TOKEN}`],
      ]) {
        const res = await rawPost(`${opened.server.url}${path}`, big, auth ? { Authorization: auth } : {});
        expect(res, path).toMatchObject({ status: 413, json: { error: 'request body too large' } });
      }
    });

    it('rate-limits the shopper routes like the events', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 80 }, () =>
          fetch(`${opened.server.url}/v1/me?site=demo`, {
            headers: { Authorization: `Device ${'b'.repeat(43)}` },
          }).then((r) => r.status),
        ),
      );
      expect(statuses).toContain(200);
      expect(statuses).toContain(429);
    });
  },
);
