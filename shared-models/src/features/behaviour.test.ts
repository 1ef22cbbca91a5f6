import { describe, expect, it } from 'vitest';
import { behaviourRows } from './behaviour';

const DAY = 86_400_000;
const asOf = Date.UTC(2026, 4, 1);
const at = (daysBefore: number) => asOf - daysBefore * DAY;

describe('behaviourRows', () => {
  const rows = behaviourRows(
    [
      { user_id: 'a', item_id: 'x', type: 'view_item', ts: at(40), session_id: 's1', category: 'shoes' },
      { user_id: 'a', item_id: 'x', type: 'add_to_cart', ts: at(40), session_id: 's1', category: 'shoes' },
      {
        user_id: 'a',
        item_id: 'x',
        type: 'purchase',
        ts: at(40),
        session_id: 's1',
        price: 30,
        quantity: 2,
        category: 'shoes',
      },
      { user_id: 'a', item_id: 'y', type: 'view_item', ts: at(10), session_id: 's2', category: 'hats' },
      { user_id: 'a', item_id: 'y', type: 'view_item', ts: at(2), session_id: 's3', category: 'hats' },
      { user_id: 'a', item_id: 'z', type: 'purchase', ts: asOf + DAY, price: 99, category: 'hats' }, // after the cut-off
      { user_id: 'b', item_id: 'x', type: 'view_item', ts: at(70) },
    ],
    asOf,
  );

  it('sums recency, frequency and money up to the cut-off, never after', () => {
    expect(rows.get('a')).toMatchObject({
      days_since_last_event: '2',
      days_since_first_event: '40',
      days_since_last_purchase: '40',
      events: '5',
      sessions: '3',
      views: '3',
      carts: '1',
      purchases: '1',
      revenue: '60',
      average_order_value: '60',
      distinct_items: '2',
      cart_to_purchase: '1',
      events_last_30_days: '2',
      events_30_to_60_days_ago: '3',
      top_category: 'shoes', // three events against two: the hats bought after the cut-off do not count
    });
  });

  it('leaves blank what a shopper never did', () => {
    expect(rows.get('b')).toMatchObject({
      purchases: '0',
      days_since_last_purchase: '',
      average_order_value: '',
      top_category: '',
    });
  });
});
