import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../test/helpers/events';
import { parseBody } from './json-body';

/** What parsing gives: the value, or the error's message. */
const outcome = (parse: () => unknown) => {
  try {
    return { value: parse() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};
const same = (text: string) =>
  expect(outcome(() => parseBody(new TextEncoder().encode(text)))).toEqual(
    outcome(() => JSON.parse(text.replace(/^\ufeff/, ''))),
  );

/** A batch whose `},{` sit inside strings and nested arrays as often as between events. */
const tricky = (n: number, shift = 0) =>
  JSON.stringify({
    events: Array.from({ length: n }, (_, i) =>
      makeEvent({
        search_term: `${'x'.repeat((i * 7 + shift) % 50)}},{"type":"purchase"},{ é ✓ \\"},{`,
        items: Array.from({ length: 1 + (i % 4) }, (_, k) => ({
          item_id: `SKU-${i}-${k}`,
          item_name: '},{',
          price: k,
        })),
      }),
    ),
  });

describe('a request body parsed in pieces', () => {
  it('gives what JSON.parse gives, wherever the cuts between pieces fall', () => {
    for (let shift = 0; shift < 40; shift++) same(tricky(400, shift));
    same(JSON.stringify({ events: Array.from({ length: 500 }, () => makeEvent()) }));
    same(JSON.stringify({ events: [makeEvent({ search_term: 'y'.repeat(200_000) })] })); // one event, one piece
    same(JSON.stringify({ events: Array.from({ length: 400 }, () => makeEvent()) }, null, 2)); // not compact: whole
  });

  it('fails where JSON.parse fails, with its message, and leaves other shapes to it whole', () => {
    const body = tricky(500);
    for (const text of [
      body.replace(/},{"event_id"/g, (m, at: number) => (at > 100_000 ? '},,{"event_id"' : m)), // an empty element late on
      body.replace(/}]}$/, '},]}'), // a trailing comma
      body.replace(/"type":"view_item"/g, (m, at: number) => (at > 70_000 ? '"type""view_item"' : m)), // broken events
      body.slice(0, -1), // cut short
      `${body} `, // something after it
      body.replace(/]}$/, '],"events":[]}'), // the key twice: the last one counts
      body.replace(/]}$/, '],"other":[1]}'), // another key after it
      `\ufeff${body}`, // a byte-order mark
      body.replace('{"events":', '{"\\u0065vents":'), // the key escaped
    ]) {
      same(text);
    }
  });
});
