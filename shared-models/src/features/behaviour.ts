/**
 * @module shared-models/features/behaviour — a shopper's behaviour up to a moment, as the columns a
 * churn model reads: recency, frequency and money (RFM), engagement, funnel progress and trend.
 * The trainer computes them for every user at the cut-off; a scorer at any later moment.
 */
import type { Interaction } from '../schema/interaction';
import type { TableRow } from './tabular';

const DAY = 86_400_000;

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
  'top_category',
] as const;

interface Accumulator {
  first: number;
  last: number;
  lastPurchase?: number;
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
      top_category: top,
    });
  }
  return rows;
}
