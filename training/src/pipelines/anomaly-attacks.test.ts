import { sessionize, sessionRow } from '@aisle/shared-models/features/session';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { describe, expect, it } from 'vitest';
import { ATTACK_KINDS, type AttackKind, injectSessions } from './anomaly-attacks';

// A small shop's log: people rating items across three categories over a week.
const log: Interaction[] = Array.from({ length: 600 }, (_, i) => ({
  user_id: `u${i % 40}`,
  item_id: `item${(i * 7) % 90}`,
  type: i % 5 ? 'rate' : 'add_to_cart',
  category: `c${i % 3}`,
  ts: Date.UTC(2026, 0, 1) + i * 1_000_000,
}));

describe('the injected attacks', () => {
  const injected = injectSessions(log, 8 * 12, 4);
  const sessions = sessionize(injected.events);
  const rows = (kind: AttackKind) =>
    [...injected.sessions].filter(([, k]) => k === kind).map(([id]) => sessionRow(sessions.get(id) ?? []));
  const n = (row: Record<string, string | undefined>, column: string) => Number(row[column] || 0);

  it('are the same from the same seed, and others from another', () => {
    expect(injectSessions(log, 8 * 12, 4).events).toEqual(injected.events);
    expect(injectSessions(log, 8 * 12, 5).events).not.toEqual(injected.events);
    expect([...new Set(injected.sessions.values())]).toEqual([...ATTACK_KINDS]);
  });

  it('draw their parameters per session: no kind is one fixed pattern', () => {
    for (const kind of ATTACK_KINDS) {
      const lengths = new Set(rows(kind).map((r) => r.events));
      const paces = new Set(rows(kind).map((r) => r.mean_gap_s));
      expect(lengths.size, kind).toBeGreaterThan(6);
      expect(paces.size, kind).toBeGreaterThan(6);
    }
  });

  it('each do what their kind does, browsing with the log’s own event', () => {
    const browse = injected.events.filter((e) => injected.sessions.has(e.user_id) && e.type === 'view_item');
    expect(browse).toEqual([]);
    // Item after new item, until the catalogue (90 items here) runs out.
    for (const r of rows('scraping'))
      expect(n(r, 'distinct_items')).toBeGreaterThanOrEqual(Math.min(0.85 * n(r, 'events'), 85));
    for (const r of rows('slow_scraping')) {
      expect(n(r, 'mean_gap_s')).toBeGreaterThan(4);
      // A person's unevenness, not a metronome's.
      expect(n(r, 'gap_regularity')).toBeGreaterThan(0.25);
    }
    for (const r of rows('scalping')) {
      expect(n(r, 'top_item_share')).toBeGreaterThanOrEqual(0.3);
      expect(n(r, 'purchases')).toBeGreaterThan(0);
    }
    for (const r of rows('carding')) expect(n(r, 'payment_failures')).toBeGreaterThanOrEqual(1);
    for (const r of rows('credential_stuffing')) expect(n(r, 'logins')).toBeGreaterThanOrEqual(3);
    for (const r of rows('cart_hoarding')) {
      expect(n(r, 'carts')).toBeGreaterThanOrEqual(4);
      expect(n(r, 'checkouts')).toBe(0);
    }
    for (const r of rows('account_creation')) expect(n(r, 'sign_ups')).toBeGreaterThanOrEqual(2);
    for (const r of rows('click_fraud')) expect(n(r, 'clicks')).toBeGreaterThanOrEqual(5);
  });

  it('only of the kinds asked for, inside the log’s span', () => {
    const some = injectSessions(log, 10, 1, ['carding', 'scalping']);
    expect(new Set(some.sessions.values())).toEqual(new Set(['carding', 'scalping']));
    const starts = [...sessionize(some.events)].filter(([id]) => some.sessions.has(id)).map(([, l]) => l[0].ts);
    for (const t of starts) {
      expect(t).toBeGreaterThanOrEqual(log[0].ts);
      expect(t).toBeLessThanOrEqual(log[log.length - 1].ts);
    }
  });
});
