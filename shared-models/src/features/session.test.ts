import { describe, expect, it } from 'vitest';
import type { Interaction } from '../schema/interaction';
import { SESSION_COLUMNS, sessionize, sessionRow } from './session';

const at = (user: string, seconds: number, type = 'view_item', item = `i${seconds}`): Interaction => ({
  user_id: user,
  item_id: item,
  type,
  ts: Date.UTC(2026, 0, 1) + seconds * 1000,
});

describe('sessions', () => {
  it('cut a user at 30 idle minutes, and keep a session_id where the row has one', () => {
    const events = [at('a', 0), at('b', 10), at('a', 60), { ...at('c', 70), session_id: 's9' }, at('a', 60 + 1801)];
    const sessions = sessionize(events);
    expect([...sessions.keys()]).toEqual(['a#1', 'b#1', 's9', 'a#2']);
    expect(sessions.get('a#1')).toHaveLength(2);
  });

  it('tell a ticking script from a person by the regularity of the gaps', () => {
    const script = sessionRow(Array.from({ length: 20 }, (_, k) => at('bot', k * 2)));
    const person = sessionRow([0, 5, 70, 80, 200, 420].map((s) => at('p', s)));
    expect(Number(script.gap_regularity)).toBe(0);
    expect(Number(person.gap_regularity)).toBeGreaterThan(0.5);
    expect(Number(script.max_events_in_10s)).toBe(6);
    expect(Number(script.item_breadth)).toBe(1);
    expect(Object.keys(script)).toEqual([...SESSION_COLUMNS]);
  });

  it('count payment failures, and leave gaps blank for a single event', () => {
    const tester = sessionRow([
      at('c', 0, 'add_to_cart', 'x'),
      ...[1, 2, 3].flatMap((k) => [
        at('c', k * 10, 'add_payment_info', 'x'),
        at('c', k * 10 + 2, 'payment_failed', 'x'),
      ]),
    ]);
    expect(tester).toMatchObject({ payment_attempts: '3', payment_failures: '3', carts: '1', distinct_items: '1' });
    const single = sessionRow([at('s', 0)]);
    expect(single).toMatchObject({ events: '1', mean_gap_s: '', min_gap_s: '', gap_regularity: '' });
  });
});
