/**
 * `POST /v1/events` against generated bodies, on SQLite and PostgreSQL (fast-check): valid events,
 * events mutated field by field (odd text, odd numbers, missing and unknown fields, other-case ids),
 * junk JSON, bytes that are not UTF-8, bodies cut short. Whatever comes, the answer is a 2xx or a
 * 4xx with a JSON `error`, never a 5xx; every event the shared validator accepts is stored exactly
 * once when the request is accepted (and again once when it is resent, as an outbox does), none
 * when it is refused; and the server answers a good request right after.
 */

import { EVENT_TYPE_PATTERN, KNOWN_EVENT_TYPES } from '@aisle/shared-models/schema/constants';
import { uuidv7 } from '@aisle/shared-models/schema/ids';
import { validateEvent } from '@aisle/shared-models/schema/validate';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenServer, serverAdapters } from './helpers/adapters';
import { makeEvent } from './helpers/events';
import { rawPost } from './helpers/http';

const adapters = await serverAdapters({ rateLimit: { perClient: 1e9, perSite: 1e9, perClientAllRoutes: 1e9 } });

/** Stands for a number JSON can carry and JavaScript cannot: replaced in the body text by 1e400. */
const HUGE = '__1e400__';

const oddText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }), // any code point, lone surrogates included
  fc.string({ unit: 'binary-ascii', maxLength: 8 }), // control characters, NUL among them
  fc.constantFrom('a\u0000b', '\ud83d', 'x\udc00y', `${'x'.repeat(499)}\ud83d`),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('', ' ', 'x'.repeat(201), 'x'.repeat(2049), '😀'.repeat(130), 'EUR', 'eur', 'Not Snake'),
);
const oddNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 1e13, -5, Date.now(), Math.floor(Date.now() / 1000), HUGE),
);
const oddValue = fc.oneof(
  oddText,
  oddNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.dictionary(oddText, fc.oneof(oddText, oddNumber), { maxKeys: 3 }),
  fc.array(fc.record({ item_id: oddText, price: oddNumber, quantity: oddNumber }), { maxLength: 3 }),
);
const FIELDS = [
  'event_id',
  'type',
  'ts',
  'anonymous_id',
  'session_id',
  'user_id',
  'items',
  'value',
  'currency',
  'search_term',
  'page',
  'props',
  'rating',
  'unknown_field',
];

/** A valid event, then up to three changes to it: a field set to an odd value or deleted, or its id in upper case. */
const event = fc
  .record({
    type: fc.oneof(fc.constantFrom(...KNOWN_EVENT_TYPES), fc.stringMatching(EVENT_TYPE_PATTERN)),
    changes: fc.array(
      fc.oneof(
        fc.record({ set: fc.constantFrom(...FIELDS), to: oddValue }),
        fc.record({ drop: fc.constantFrom(...FIELDS) }),
        fc.record({ upper: fc.constant(true) }),
        fc.record({ item: fc.constantFrom('item_id', 'item_name', 'price', 'quantity', 'discount'), to: oddValue }),
      ),
      { maxLength: 3 },
    ),
  })
  .map(({ type, changes }) => {
    const e: Record<string, unknown> = { ...makeEvent({ type }), event_id: uuidv7() };
    if (type === 'search') e.search_term = 'boots';
    if (type === 'purchase') Object.assign(e, { value: 10, currency: 'EUR' });
    if (type === 'user_engagement') e.engagement_ms = 1000;
    for (const c of changes) {
      if ('set' in c) e[c.set] = c.to;
      else if ('drop' in c) delete e[c.drop];
      else if ('upper' in c && typeof e.event_id === 'string') e.event_id = e.event_id.toUpperCase();
      else if ('item' in c && Array.isArray(e.items) && e.items[0]) e.items[0] = { ...e.items[0], [c.item]: c.to };
    }
    return e;
  });

/** A whole request body: mostly batches of events (some repeated), else junk of every kind. */
const body = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(event, { maxLength: 12 }).chain((events) =>
      // Some events twice in the batch, as a retry would; the copy's id sometimes in upper case.
      fc.tuple(fc.subarray(events), fc.boolean()).map(([again, upper]) => {
        const copies = again.map((e) =>
          upper && typeof e.event_id === 'string' ? { ...e, event_id: e.event_id.toUpperCase() } : e,
        );
        return { kind: 'batch' as const, text: JSON.stringify({ events: [...events, ...copies] }) };
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(event, fc.jsonValue()), { maxLength: 6 })
      .map((events) => ({ kind: 'mixed' as const, text: JSON.stringify({ events }) })),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ kind: 'junk' as const, text: JSON.stringify(v) ?? 'null' })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.array(event, { minLength: 1, maxLength: 4 }), fc.nat()).map(([events, at]) => {
      const text = JSON.stringify({ events });
      return { kind: 'cut' as const, text: text.slice(0, at % text.length) };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'bytes' as const, bytes: Buffer.from(bytes) })),
  },
);

describe.each(adapters)('POST /v1/events against generated bodies on $name', (adapter) => {
  let opened: OpenServer;
  let seq = 0;
  /** event_id (lower case) → how many times the store holds it, over everything stored so far. */
  const counts = new Map<string, number>();
  async function refresh() {
    for (;;) {
      const page = await opened.server.storage.events({ site: 'demo', after: seq, limit: 5000 });
      // By the id in lower case: an upper-case copy of a stored UUID is the same event.
      for (const e of page) {
        const id = e.event.event_id.toLowerCase();
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      if (page.length) seq = page[page.length - 1].seq;
      if (page.length < 5000) return;
    }
  }
  beforeAll(async () => {
    opened = await adapter.open();
  });
  afterAll(async () => opened.close());

  it('never answers 5xx, keeps every valid event once, and goes on answering', async () => {
    const url = `${opened.server.url}/v1/events?site=demo`;
    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        const bytes =
          'bytes' in generated ? generated.bytes : Buffer.from(generated.text.replaceAll(`"${HUGE}"`, '1e400'), 'utf8');
        const now = Date.now();
        // What the shared validator says of each event, on a copy (it lower-cases accepted ids).
        let valid: string[] = [];
        let sent: string[] = [];
        if (!('bytes' in generated) && generated.kind !== 'cut') {
          const parsed = JSON.parse(generated.text.replaceAll(`"${HUGE}"`, '1e400')) as { events?: unknown };
          if (Array.isArray(parsed?.events)) {
            const ids = parsed.events
              .map((e) => (e as { event_id?: unknown })?.event_id)
              .filter((id) => typeof id === 'string');
            sent = (ids as string[]).map((id) => id.toLowerCase());
            valid = parsed.events
              .map((e) => validateEvent(structuredClone(e), now).event?.event_id?.toLowerCase())
              .filter((id): id is string => !!id);
          }
        }
        for (const attempt of [1, 2]) {
          const answer = await rawPost(url, bytes);
          expect(answer.status, `attempt ${attempt}: ${'error' in answer ? answer.error : ''}`).toBeGreaterThanOrEqual(
            200,
          );
          expect(answer.status).toBeLessThan(500);
          if (answer.status >= 400 && 'json' in answer) {
            expect(typeof answer.json.error, JSON.stringify(answer.json)).toBe('string');
          }
          await refresh();
          if (answer.status === 200) for (const id of new Set(valid)) expect(counts.get(id), id).toBe(1);
          else for (const id of sent) expect(counts.get(id) ?? 0, id).toBe(0);
        }
        const good = makeEvent();
        const after = await rawPost(url, Buffer.from(JSON.stringify({ events: [good] })));
        expect(after).toMatchObject({ status: 200, json: { accepted: 1 } });
      }),
      { numRuns: 300 },
    );
    await refresh();
    expect(counts.size).toBeGreaterThan(300); // the good requests at least: the property ran for real
  }, 300_000);
});
