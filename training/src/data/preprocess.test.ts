import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { describe, expect, it } from 'vitest';
import type { Dropped } from './interchange';
import { describeDropped, preprocess } from './preprocess';

const NOW = Date.UTC(2026, 5, 1);
const event = (user: string, seconds: number, extra: Partial<Interaction> = {}): Interaction => ({
  user_id: user,
  item_id: `i${seconds}`,
  type: 'view_item',
  ts: NOW - 86_400_000 + seconds * 1000,
  ...extra,
});

describe('preprocess', () => {
  const person = [event('p', 0), event('p', 40), event('p', 41, { type: 'add_to_cart', item_id: 'i40' })];
  const script = Array.from({ length: 30 }, (_, k) => event('bot', 100 + k * 2));
  const tester = [1, 2, 3, 4].flatMap((k) => [
    event('card', 500 + k * 10, { type: 'add_payment_info', item_id: 'x' }),
    event('card', 502 + k * 10, { type: 'payment_failed', item_id: 'x' }),
  ]);
  const broken = [
    event('p', 0), // the same event twice
    event('q', 0, { ts: NOW + 3 * 86_400_000 }),
    event('q', 1, { price: -5 }),
    event('q', 2, { quantity: 0 }),
  ];
  const all = [...person, ...script, ...tester, ...broken].sort((a, b) => a.ts - b.ts);

  it('leaves out duplicates and impossible events, and counts each reason', () => {
    const dropped: Dropped = new Map();
    const kept = preprocess(all, dropped, { now: NOW });
    expect(kept).toHaveLength(all.length - 4);
    expect(Object.fromEntries([...dropped].map(([r, d]) => [r, d.count]))).toEqual({
      'duplicate of an earlier event': 1,
      'time in the future': 1,
      'negative price': 1,
      'quantity of zero or less': 1,
    });
  });

  it('for training, also leaves out sessions that are plainly no person', () => {
    const dropped: Dropped = new Map();
    const kept = preprocess(all, dropped, { now: NOW, excludeBots: true });
    expect(new Set(kept.map((e) => e.user_id))).toEqual(new Set(['p']));
    expect(dropped.get('in a bot-like session (machine-steady timing)')?.count).toBe(30);
    expect(dropped.get('in a bot-like session (repeated payment failures)')?.count).toBe(8);
    expect(describeDropped(dropped, all.length)).toMatch(
      /^left out 42 of 45 events: 30 in a bot-like session \(machine-steady timing\) \(first: session bot#1\); 8 /,
    );
  });
});
