import { describe, expect, it } from 'vitest';
import { PasteError, parseHistory } from './preview';

const NOW = 1_800_000_000_000;

describe('a pasted history', () => {
  it('reads product ids one per line (or by commas), an event type where given, a minute apart, oldest first', () => {
    const h = parseHistory('SKU-1\n  add_to_cart SKU-2 \n\nSKU-3, SKU-4', NOW);
    expect(h.map((e) => [e.type, e.items?.[0].item_id])).toEqual([
      ['view_item', 'SKU-1'],
      ['add_to_cart', 'SKU-2'],
      ['view_item', 'SKU-3'],
      ['view_item', 'SKU-4'],
    ]);
    expect(h.map((e) => e.ts)).toEqual([NOW - 240_000, NOW - 180_000, NOW - 120_000, NOW - 60_000]);
  });

  it('puts what comes up to the last purchase in an earlier visit, so a purchase can come back as “buy it again”', () => {
    const h = parseHistory('SKU-1\npurchase SKU-1\nSKU-2', NOW);
    expect(h.map((e) => e.session_id)).toEqual(['earlier', 'earlier', 'now']);
  });

  it('reads the history route’s JSON, keeping its times and sessions', () => {
    const h = parseHistory(
      JSON.stringify({
        events: [
          { type: 'view_item', ts: 20, session_id: 's2', items: [{ item_id: 'B' }] },
          { type: 'purchase', ts: 10, session_id: 's1', items: [{ item_id: 'A' }, { item_id: 7 }] },
          { type: 'page_view', ts: 15, items: [] },
        ],
      }),
      NOW,
    );
    expect(h).toEqual([
      { type: 'purchase', ts: 10, session_id: 's1', items: [{ item_id: 'A' }] },
      { type: 'view_item', ts: 20, session_id: 's2', items: [{ item_id: 'B' }] },
    ]);
  });

  it('refuses what it cannot read, naming it, rather than guess', () => {
    expect(() => parseHistory('vew_item SKU-1', NOW)).toThrow(/“vew_item SKU-1”/);
    expect(() => parseHistory('add_to_cart SKU-1 twice', NOW)).toThrow(PasteError);
    expect(() => parseHistory('constructor SKU-1', NOW)).toThrow(PasteError);
    expect(() => parseHistory('{"items": []}', NOW)).toThrow(/no history/);
    expect(() => parseHistory('[{"type": "view_item"', NOW)).toThrow(/not JSON/);
    expect(() => parseHistory('[{"type": "page_view", "items": [{"item_id": "A"}]}]', NOW)).toThrow(/no event/);
  });

  it('keeps at most what a device reads: 300 events of at most 50 products, ids cut at 256 characters', () => {
    const many = parseHistory(Array.from({ length: 1000 }, (_, i) => `SKU-${i}`).join('\n'), NOW);
    expect(many).toHaveLength(300);
    expect(many[0].items?.[0].item_id).toBe('SKU-700');
    const wide = parseHistory(
      JSON.stringify([
        { type: 'view_item_list', items: Array.from({ length: 500 }, (_, i) => ({ item_id: `x${i}` })) },
      ]),
      NOW,
    );
    expect(wide[0].items).toHaveLength(50);
    expect(parseHistory('x'.repeat(5000), NOW)[0].items?.[0].item_id).toHaveLength(256);
  });
});
