import { expect, it } from 'vitest';
import { makeEvent } from '../../../test/helpers/events';
import { uuidv7 } from './ids';
import { validateEvent } from './validate';

it('makes RFC 9562 version 7 UUIDs that sort by time', () => {
  const a = uuidv7(1_700_000_000_000);
  const b = uuidv7(1_700_000_000_001);
  expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(a < b).toBe(true);
  expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
});

it('never repeats and passes the event schema', () => {
  const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7()));
  expect(ids.size).toBe(10_000);
  expect(validateEvent(makeEvent({ event_id: uuidv7() })).errors).toEqual([]);
});
