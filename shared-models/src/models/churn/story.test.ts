import { describe, expect, it } from 'vitest';
import { churnStory } from './story';

describe('a churn reason in words', () => {
  it("tells the lapse against the customer's own rhythm", () => {
    const row = { days_since_last_purchase: '94.2', days_between_orders: '20.6', overdue: '4.57', orders: '6' };
    expect(churnStory('days_since_last_purchase', row)).toBe('no order for 94 days, was every 21 days');
    expect(churnStory('overdue', row)).toBe('no order for 94 days, was every 21 days');
    expect(churnStory('days_since_last_purchase', { days_since_last_purchase: '1.2', days_between_orders: '7' })).toBe(
      'no order for 1 day, was every 7 days',
    );
    expect(churnStory('days_since_last_event', { days_since_last_event: '0.4' })).toBe('last seen today');
    expect(
      churnStory('days_since_last_purchase', { days_since_last_purchase: '40', days_between_orders: '', orders: '1' }),
    ).toBe('only one order, 40 days ago');
    // A single order's count tells the same story as its date, so the two read as one reason.
    const once = { days_since_last_purchase: '206', days_between_orders: '', orders: '1' };
    expect(churnStory('orders', once)).toBe(churnStory('days_since_last_purchase', once));
    expect(churnStory('orders', { orders: '1' })).toBe('1 order in all');
    expect(churnStory('orders', { orders: '3', days_since_last_purchase: '5' })).toBe('3 orders in all');
    // Without the order count, nothing is claimed about how many.
    expect(churnStory('days_since_last_purchase', { days_since_last_purchase: '40' })).toBe('last order 40 days ago');
    expect(churnStory('days_since_last_purchase', { days_since_last_purchase: '' })).toBe('has never ordered');
  });

  it('tells returns, activity and money in the shop’s own numbers', () => {
    expect(churnStory('refunds', { refunds: '2', refund_share: '0.184' })).toBe(
      'returned 2 times, 18 % of what they spent',
    );
    expect(churnStory('refund_share', { refunds: '0', refund_share: '0' })).toBe('never returned anything');
    // A small return is not "0 %".
    expect(churnStory('refunds', { refunds: '1', refund_share: '0.003' })).toBe(
      'returned 1 time, under 1 % of what they spent',
    );
    // Stored to a thousandth, a tiny return reads 0: still a return.
    expect(churnStory('refunds', { refunds: '1', refund_share: '0' })).toBe(
      'returned 1 time, under 1 % of what they spent',
    );
    expect(churnStory('refunds', { refunds: '3', refund_share: '0.997' })).toBe(
      'returned 3 times, over 99 % of what they spent',
    );
    expect(churnStory('events_last_30_days', { events_last_30_days: '1', events_30_to_60_days_ago: '12' })).toBe(
      '1 event in the last 30 days, 12 in the 30 before',
    );
    expect(churnStory('revenue', { revenue: '1234.5' })).toBe('spent 1235 in all');
    expect(churnStory('top_category', { top_category: 'Kitchen' })).toBe('mostly Kitchen');
  });

  it('falls back to the column and its value for anything else, blanks included', () => {
    expect(churnStory('ProductRelated_Duration', { ProductRelated_Duration: '12.5' })).toBe(
      'ProductRelated Duration: 12.5',
    );
    expect(churnStory('PageValues', {})).toBe('PageValues: none');
    // A blank or unreadable cell is never told as a fact ("spent 0.00 in all").
    expect(churnStory('revenue', { revenue: '' })).toBe('revenue: none');
    expect(churnStory('carts', { carts: 'n/a' })).toBe('carts: n/a');
    expect(churnStory('x'.repeat(100), { ['x'.repeat(100)]: 'y'.repeat(200) }).length).toBeLessThanOrEqual(300);
  });
});
