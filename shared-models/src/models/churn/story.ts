/**
 * @module shared-models/models/churn/story — a churn reason as a merchant reads it: the shopper's
 * own numbers, in words ("no order for 94 days, was every 21"), not a column and a value.
 * Phrases the behaviour columns (`features/behaviour`); any other column reads "column: value".
 */
import type { TableRow } from '../../features/tabular';

const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));
const whole = (x: number) => String(Math.round(x));
const plural = (n: number, one: string, many = `${one}s`) => `${whole(n)} ${Math.round(n) === 1 ? one : many}`;
const money = (x: number) => (Math.abs(x) >= 100 ? whole(x) : x.toFixed(2));
/** `18 %`; a share that rounds to none or to all without being so reads `under 1 %` or `over 99 %`. */
const share = (x: number) =>
  x > 0 && x < 0.005 ? 'under 1 %' : x < 1 && x >= 0.995 ? 'over 99 %' : `${Math.round(x * 100)} %`;
/** `3 days ago`, `1 day ago`, `today`. */
const ago = (days: number) => (days < 1 ? 'today' : `${plural(days, 'day')} ago`);

type Phrase = (row: TableRow, n: (column: string) => number | undefined) => string | undefined;

const PHRASES: Record<string, Phrase> = {
  days_since_last_purchase: (_, n) => {
    const days = n('days_since_last_purchase');
    if (days === undefined) return 'has never ordered';
    const every = n('days_between_orders');
    if (every !== undefined)
      return `no order for ${plural(days, 'day')}, was every ${plural(Math.max(1, every), 'day')}`;
    return n('orders') === 1 ? `only one order, ${ago(days)}` : `last order ${ago(days)}`;
  },
  days_between_orders: (row, n) => PHRASES.days_since_last_purchase(row, n),
  overdue: (row, n) => PHRASES.days_since_last_purchase(row, n),
  orders_last_90_days: (_, n) => `${plural(n('orders_last_90_days') ?? 0, 'order')} in the last 90 days`,
  days_since_last_event: (_, n) => {
    const days = n('days_since_last_event');
    return days === undefined ? undefined : `last seen ${ago(days)}`;
  },
  days_since_first_event: (_, n) => {
    const days = n('days_since_first_event');
    return days === undefined ? undefined : `first seen ${ago(days)}`;
  },
  events_last_30_days: (_, n) => {
    const recent = n('events_last_30_days') ?? 0;
    const before = n('events_30_to_60_days_ago') ?? 0;
    return `${plural(recent, 'event')} in the last 30 days, ${whole(before)} in the 30 before`;
  },
  events_30_to_60_days_ago: (row, n) => PHRASES.events_last_30_days(row, n),
  // One order is the story of that order ("only one order, 206 days ago"), told once with it.
  orders: (row, n) =>
    n('orders') === 1 && n('days_since_last_purchase') !== undefined
      ? PHRASES.days_since_last_purchase(row, n)
      : `${plural(n('orders') ?? 0, 'order')} in all`,
  purchases: (_, n) => `${plural(n('purchases') ?? 0, 'item')} bought in all`,
  refunds: (_, n) => {
    const refunds = n('refunds') ?? 0;
    const part = n('refund_share');
    // The share is stored to a thousandth: a return is never "0 %" of the spend.
    const told = part === undefined ? '' : `, ${part > 0 ? share(part) : 'under 1 %'} of what they spent`;
    return refunds ? `returned ${plural(refunds, 'time')}${told}` : 'never returned anything';
  },
  refund_share: (row, n) => PHRASES.refunds(row, n),
  revenue: (_, n) => `spent ${money(n('revenue') ?? 0)} in all`,
  average_order_value: (_, n) => {
    const aov = n('average_order_value');
    return aov === undefined ? undefined : `${money(aov)} an order on average`;
  },
  cart_to_purchase: (_, n) => {
    const rate = n('cart_to_purchase');
    return rate === undefined ? undefined : `bought ${share(rate)} of what went in the cart`;
  },
  carts: (_, n) => `${plural(n('carts') ?? 0, 'item')} put in the cart`,
  views: (_, n) => `${plural(n('views') ?? 0, 'product')} viewed`,
  events: (_, n) => `${plural(n('events') ?? 0, 'event')} in all`,
  sessions: (_, n) => `${plural(n('sessions') ?? 0, 'visit')}`,
  active_days: (_, n) => `active on ${plural(n('active_days') ?? 0, 'day')}`,
  distinct_items: (_, n) => `${plural(n('distinct_items') ?? 0, 'different item')}`,
  distinct_categories: (_, n) => `${plural(n('distinct_categories') ?? 0, 'category', 'categories')}`,
  top_category: (row) => (row.top_category?.trim() ? `mostly ${row.top_category.trim()}` : undefined),
};

/** The longest reason text: what the profiles API stores. */
export const STORY_MAX = 300;

/**
 * `feature` of `row` in words. A column without a phrase, or whose own cell is blank or not a
 * number where a phrase needs one, reads "feature: value" instead: a blank is never told as a fact.
 */
export function churnStory(feature: string, row: TableRow): string {
  const n = (column: string) => {
    const v = num(row[column]);
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const value = row[feature]?.trim() ?? '';
  // "has never ordered" is the one phrase a blank cell tells (no last order to count from).
  const readable = feature === 'top_category' || n(feature) !== undefined || feature === 'days_since_last_purchase';
  const text = readable ? PHRASES[feature]?.(row, n) : undefined;
  return (text ?? `${feature.replace(/_/g, ' ')}: ${value === '' ? 'none' : value}`).slice(0, STORY_MAX);
}
