/**
 * @module shared-models/features/behaviour — a shopper's behaviour up to a moment, as the columns a
 * churn model reads: recency, frequency and money (RFM), engagement, funnel progress and trend.
 * The trainer computes them for every user at the cut-off; a scorer at any later moment.
 */
import type { Interaction } from '../schema/interaction';
import type { TableRow } from './tabular';

const DAY = 86_400_000;

/**
 * The columns about orders as a whole (a purchase of three items is one order; a return is a
 * refund): what a purchase history says of a customer's rhythm and of what they sent back.
 */
export const ORDER_COLUMNS = [
  'orders',
  'orders_last_90_days',
  'days_between_orders',
  'overdue',
  'refunds',
  'refund_share',
] as const;

/** Recency, frequency and money: the columns of the classic RFM churn model, among the ones below. */
export const RFM_COLUMNS = ['days_since_last_purchase', 'orders', 'revenue'] as const;

/** The columns, in order; `top_category` is categorical, the rest numeric (blank when undefined). */
export const BEHAVIOUR_COLUMNS = [
  'days_since_last_event',
  'days_since_first_event',
  'days_since_last_purchase',
  'events',
  'sessions',
  'active_days',
  'views',
  'carts',
  'purchases',
  'revenue',
  'average_order_value',
  'distinct_items',
  'distinct_categories',
  'cart_to_purchase',
  'events_last_30_days',
  'events_30_to_60_days_ago',
  ...ORDER_COLUMNS,
  'top_category',
] as const;

interface Accumulator {
  first: number;
  last: number;
  lastPurchase?: number;
  firstPurchase?: number;
  events: number;
  sessions: Set<string>;
  days: Set<number>;
  views: number;
  carts: number;
  purchases: number;
  revenue: number;
  items: Set<string>;
  categories: Map<string, number>;
  recent: number;
  before: number;
  /** The moments of the user's purchases and refunds: one order's items share a moment. */
  orders: Set<number>;
  refunds: Set<number>;
  refunded: number;
}

/** One row per user with an event at or before `asOf`: that user's behaviour up to then. */
export function behaviourRows(events: readonly Interaction[], asOf: number): Map<string, TableRow> {
  const users = new Map<string, Accumulator>();
  for (const e of events) {
    if (e.ts > asOf) continue;
    let a = users.get(e.user_id);
    if (!a) {
      a = {
        first: e.ts,
        last: e.ts,
        events: 0,
        sessions: new Set(),
        days: new Set(),
        views: 0,
        carts: 0,
        purchases: 0,
        revenue: 0,
        items: new Set(),
        categories: new Map(),
        recent: 0,
        before: 0,
        orders: new Set(),
        refunds: new Set(),
        refunded: 0,
      };
      users.set(e.user_id, a);
    }
    a.first = Math.min(a.first, e.ts);
    a.last = Math.max(a.last, e.ts);
    a.events++;
    a.sessions.add(e.session_id ?? `day-${Math.floor(e.ts / DAY)}`);
    a.days.add(Math.floor(e.ts / DAY));
    if (e.type === 'view_item') a.views++;
    if (e.type === 'add_to_cart') a.carts++;
    if (e.type === 'purchase') {
      a.purchases++;
      a.revenue += (e.price ?? 0) * (e.quantity ?? 1);
      a.lastPurchase = Math.max(a.lastPurchase ?? e.ts, e.ts);
      a.firstPurchase = Math.min(a.firstPurchase ?? e.ts, e.ts);
      a.orders.add(e.ts);
    }
    if (e.type === 'refund') {
      a.refunds.add(e.ts);
      a.refunded += (e.price ?? 0) * (e.quantity ?? 1);
    }
    if (e.item_id) a.items.add(e.item_id);
    if (e.category) a.categories.set(e.category, (a.categories.get(e.category) ?? 0) + 1);
    const age = asOf - e.ts;
    if (age <= 30 * DAY) a.recent++;
    else if (age <= 60 * DAY) a.before++;
  }
  const days = (ms: number) => String(Math.round((ms / DAY) * 100) / 100);
  const rows = new Map<string, TableRow>();
  for (const [user, a] of users) {
    const every =
      a.orders.size > 1 ? ((a.lastPurchase ?? 0) - (a.firstPurchase ?? 0)) / (a.orders.size - 1) : undefined;
    const top = [...a.categories].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0] ?? '';
    rows.set(user, {
      days_since_last_event: days(asOf - a.last),
      days_since_first_event: days(asOf - a.first),
      days_since_last_purchase: a.lastPurchase === undefined ? '' : days(asOf - a.lastPurchase),
      events: String(a.events),
      sessions: String(a.sessions.size),
      active_days: String(a.days.size),
      views: String(a.views),
      carts: String(a.carts),
      purchases: String(a.purchases),
      revenue: String(Math.round(a.revenue * 100) / 100),
      average_order_value: a.purchases ? String(Math.round((a.revenue / a.purchases) * 100) / 100) : '',
      distinct_items: String(a.items.size),
      distinct_categories: String(a.categories.size),
      cart_to_purchase: a.carts ? String(Math.round((a.purchases / a.carts) * 1000) / 1000) : '',
      events_last_30_days: String(a.recent),
      events_30_to_60_days_ago: String(a.before),
      orders: String(a.orders.size),
      orders_last_90_days: String([...a.orders].filter((t) => asOf - t <= 90 * DAY).length),
      // The average time between orders: the rhythm a lapse is measured against.
      days_between_orders: every === undefined ? '' : days(every),
      // How many of those rhythms the customer is now past their last order.
      overdue:
        every === undefined || a.lastPurchase === undefined
          ? ''
          : String(Math.round(((asOf - a.lastPurchase) / Math.max(every, DAY)) * 100) / 100),
      refunds: String(a.refunds.size),
      refund_share: a.revenue > 0 ? String(Math.round((a.refunded / a.revenue) * 1000) / 1000) : '',
      top_category: top,
    });
  }
  return rows;
}
