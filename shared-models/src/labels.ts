/**
 * @module shared-models/labels — the words a merchant or shopper reads for each model column,
 * event type and retention action, with units, kept in one place for every screen: the
 * dashboard's charts and tables (events, funnel steps, risk reasons, segment features, retention
 * actions) and the extension's popup. The column and event tables are typed by the lists they
 * label, so a new column or event without words fails the type check instead of reaching a
 * screen as `snake_case`. (The CSV export heads its columns in words too, unless a tool asks for names.)
 */
import type { BEHAVIOUR_COLUMNS } from './features/behaviour';
import type { PROFILE_EXTRA_COLUMNS } from './features/profile';
import type { SESSION_COLUMNS } from './features/session';
import type { KnownEventType } from './schema/constants';

type Words<K extends string> = Record<K, string>;

/** A session's columns, as the anomaly model reads them and gives them as reasons. */
export const SESSION_LABELS: Words<(typeof SESSION_COLUMNS)[number]> = {
  events: 'events in the session',
  duration_s: 'session length (s)',
  events_per_minute: 'events per minute',
  mean_gap_s: 'average pause (s)',
  min_gap_s: 'shortest pause (s)',
  gap_regularity: 'evenness of pauses',
  max_events_in_10s: 'most events in 10 s',
  distinct_items: 'different products',
  distinct_categories: 'different categories',
  item_breadth: 'share of products new to the session',
  carts: 'adds to cart',
  carts_per_minute: 'adds to cart per minute',
  checkouts: 'checkouts started',
  payment_attempts: 'payment attempts',
  payment_failures: 'declined payments',
  purchases: 'purchases',
  page_views: 'pages viewed',
  searches: 'searches',
  clicks: 'product cards clicked',
  cart_removals: 'removals from cart',
  logins: 'sign-ins',
  sign_ups: 'accounts created',
  top_item_share: 'share of views on one product',
  rare_item_surprise: 'rarely viewed products, how unlikely (1 in 10^x)',
};

/** A customer's columns, as the profile and churn models read them and give them as reasons. */
export const CUSTOMER_LABELS: Words<(typeof BEHAVIOUR_COLUMNS)[number] | (typeof PROFILE_EXTRA_COLUMNS)[number]> = {
  days_since_last_event: 'days since last visit',
  days_since_first_event: 'days as a customer',
  days_since_last_purchase: 'days since last order',
  events: 'events',
  sessions: 'visits',
  active_days: 'days with a visit',
  views: 'product views',
  carts: 'adds to cart',
  purchases: 'items bought',
  revenue: 'spend',
  average_order_value: 'average order value',
  distinct_items: 'different products',
  distinct_categories: 'different categories',
  cart_to_purchase: 'share of carts bought',
  events_last_30_days: 'events in the last 30 days',
  events_30_to_60_days_ago: 'events 30–60 days ago',
  orders: 'orders',
  orders_last_90_days: 'orders in the last 90 days',
  days_between_orders: 'days between orders',
  overdue: 'overdue (× usual gap)',
  refunds: 'returns',
  refund_share: 'share of orders returned',
  top_category: 'favourite category',
  top_category_share: 'share in favourite category',
  relative_price: 'price level (× shop median)',
  hour_sin: 'time of day (sine)',
  hour_cos: 'time of day (cosine)',
  weekend_share: 'share at weekends',
  mobile_share: 'share on a phone',
};

/** Event types as the dashboard and the popup name them. */
export const EVENT_LABELS: Words<KnownEventType> = {
  view_item: 'product view',
  view_item_list: 'product list shown',
  select_item: 'product card clicked',
  add_to_cart: 'added to cart',
  remove_from_cart: 'removed from cart',
  add_to_wishlist: 'added to wishlist',
  view_cart: 'cart viewed',
  begin_checkout: 'checkout started',
  add_shipping_info: 'shipping details',
  add_payment_info: 'payment details',
  purchase: 'purchase',
  refund: 'return',
  view_promotion: 'promotion shown',
  select_promotion: 'promotion clicked',
  page_view: 'page view',
  user_engagement: 'time on page',
  search: 'search',
  share: 'share',
  review: 'review',
  like: 'like',
  login: 'sign-in',
  sign_up: 'account created',
  payment_failed: 'payment declined',
  rec_impression: 'recommendations shown',
  rec_click: 'recommendation clicked',
  risk_flag: 'session flagged',
};

/** Retention actions (the edge's `ACTIONS`, which shared-models cannot import: kept in step by hand). */
export const ACTION_LABELS: Record<string, string> = {
  service_call: 'service call',
  limited_time_coupon: 'limited-time coupon',
  personalised_offer: 'personalised offer',
  care_message: 'care message',
  none: 'no action',
};

/**
 * The words `table` has for a column, event type or action; a key it does not know (a merchant's
 * own event, a column of a newer model) reads with spaces for underscores rather than not at all.
 */
export function label(key: string, table: Record<string, string>): string {
  return Object.hasOwn(table, key) ? table[key] : key.replace(/_/g, ' ');
}
