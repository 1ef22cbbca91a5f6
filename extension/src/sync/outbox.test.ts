/** The outbox against the real ingest app (SQLite in memory): what is removed, what is kept, what is retried. */

import { createApp } from '@aisle/edge-server';
import { openSqlite, type Storage } from '@aisle/edge-server/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent, makeEvents } from '../../../test/helpers/events';
import type { EventStore } from '../store/events';
import { createMemoryStore } from '../store/memory';
import { createOutbox, type FlushResult, type OutboxOptions } from './outbox';

let storage: Storage;
let app: ReturnType<typeof createApp>;
let store: EventStore;
let results: FlushResult[];
let calls: number;

const serverFetch: typeof fetch = async (input, init) => {
  calls++;
  return app.request(String(input), init);
};

function outbox(overrides: Partial<OutboxOptions> = {}) {
  return createOutbox({
    endpoint: 'http://edge.test',
    site: 'demo',
    store,
    fetch: serverFetch,
    online: () => true,
    onResult: (r) => results.push(r),
    ...overrides,
  });
}

beforeEach(async () => {
  storage = openSqlite(':memory:');
  await storage.migrate();
  await storage.putSite({ key: 'demo', name: 'Demo', origins: ['http://shop.test'], created_at: 0 });
  app = createApp({ storage, operatorToken: 't' });
  store = createMemoryStore();
  results = [];
  calls = 0;
});
afterEach(async () => {
  await app.stop();
  storage.close();
});

const queue = (events: ReturnType<typeof makeEvent>[]) => store.commit(events, { history: false, outbox: true });

describe('outbox', () => {
  it('sends everything in batches and empties itself once the server acknowledged', async () => {
    await queue(makeEvents(250));
    const o = outbox({ batchSize: 100 });
    await o.flush();
    expect(results.map((r) => r.sent)).toEqual([100, 100, 50]);
    expect(await store.count()).toBe(0);
    expect((await storage.stats()).events).toBe(250);
    o.stop();
  });

  it('keeps events while the network is down and stores them once when it is back', async () => {
    const events = makeEvents(30);
    await queue(events);
    let down = true;
    const o = outbox({
      fetch: async (input, init) => {
        if (down) throw new TypeError('Failed to fetch');
        return serverFetch(input, init);
      },
    });
    await o.flush();
    expect(results[0]).toMatchObject({ status: 'network-error', settled: 0 });
    expect(results[0].retryInMs).toBeGreaterThanOrEqual(0);
    expect(await store.count()).toBe(30);
    down = false;
    await o.flush();
    await queue(events.slice(0, 5)); // a tab that did not hear the acknowledgement sends again
    await o.flush();
    expect(await store.count()).toBe(0);
    expect((await storage.stats()).events).toBe(30);
    o.stop();
  });

  it('does not even try while the browser says it is offline', async () => {
    await queue(makeEvents(3));
    const o = outbox({ online: () => false });
    await o.flush();
    expect(calls).toBe(0);
    expect(results).toEqual([{ sent: 0, settled: 0, status: 'offline' }]);
    o.stop();
  });

  it('retries a 5xx with growing delays and honours Retry-After', async () => {
    await queue(makeEvents(2));
    const o = outbox({
      fetch: async () => new Response('{}', { status: 503, headers: { 'Retry-After': '7' } }),
    });
    await o.flush();
    await o.flush();
    expect(results.map((r) => r.status)).toEqual([503, 503]);
    expect(results.every((r) => (r.retryInMs ?? 0) >= 7000)).toBe(true);
    expect(await store.count()).toBe(2);
    o.stop();
  });

  it('drops the events the server rejected as invalid, and only those', async () => {
    const bad = { ...makeEvent(), ts: 5 };
    await queue([makeEvent(), bad, makeEvent()]);
    const o = outbox();
    await o.flush();
    expect(await store.count()).toBe(0);
    expect((await storage.stats()).events).toBe(2);
    o.stop();
  });

  it('drops an event with an over-long field and delivers the rest of its batch', async () => {
    const long = makeEvent({ search_term: 'x'.repeat(500), type: 'search' });
    await queue([makeEvent(), long, makeEvent()]);
    const o = outbox();
    await o.flush();
    expect(results.map((r) => r.status)).toEqual([400, 200]);
    expect(await store.count()).toBe(0);
    expect((await storage.stats()).events).toBe(2);
    o.stop();
  });

  it('keeps events when the site key is refused: a misconfiguration, not bad data', async () => {
    await queue(makeEvents(4));
    const o = outbox({ site: 'unknown-site' });
    await o.flush();
    expect(results[0]).toMatchObject({ status: 403, settled: 0 });
    expect(await store.count()).toBe(4);
    o.stop();
  });

  it('runs one flush at a time', async () => {
    await queue(makeEvents(10));
    const o = outbox();
    await Promise.all([o.flush(), o.flush(), o.flush()]);
    expect(calls).toBe(1);
    o.stop();
  });
});
