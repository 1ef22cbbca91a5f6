/** @module shared-models/schema/constants — event names and field limits, free of any runtime dependency so the small storefront script can import them. */

/** GA4's recommended e-commerce events that Aisle understands. */
export const ECOMMERCE_EVENT_TYPES = [
  'view_item',
  'view_item_list',
  'select_item',
  'add_to_cart',
  'remove_from_cart',
  'add_to_wishlist',
  'view_cart',
  'begin_checkout',
  'add_shipping_info',
  'add_payment_info',
  'purchase',
  'refund',
  'view_promotion',
  'select_promotion',
] as const;

/** Events Aisle adds on top of GA4's e-commerce set (some are GA4 recommended events too). */
export const AISLE_EVENT_TYPES = [
  'page_view',
  'user_engagement',
  'search',
  'share',
  'review',
  'like',
  'login',
  'sign_up',
  'payment_failed',
  'rec_impression',
  'rec_click',
  'risk_flag',
] as const;

export const KNOWN_EVENT_TYPES = [...ECOMMERCE_EVENT_TYPES, ...AISLE_EVENT_TYPES] as const;
export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

/** Events that say nothing without at least one item. */
export const EVENTS_REQUIRING_ITEMS: readonly string[] = [
  'view_item',
  'view_item_list',
  'select_item',
  'add_to_cart',
  'remove_from_cart',
  'add_to_wishlist',
  'review',
  'like',
];

/** Custom event names follow GA4's rule: letters, digits and underscores, starting with a letter. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Length and count limits shared by the storefront script (which truncates to them) and the
 * ingest validator (which refuses anything longer). Numbers are GA4's own limits where it has one
 * (item ids and names 100 in GA4 UI, raised here for real catalogues), otherwise generous.
 */
export const LIMITS = {
  id: 128,
  itemId: 256,
  name: 500,
  url: 2048,
  title: 300,
  searchTerm: 200,
  currency: 3,
  shortText: 100,
  propKey: 64,
  propString: 1000,
  props: 50,
  items: 200,
  batchEvents: 500,
  /** Bytes of one POST /v1/events body. 500 events of a few hundred bytes fit with room to spare. */
  batchBytes: 1_048_576,
} as const;

/** Oldest and newest timestamps the server accepts: 2000-01-01, and one day of clock skew. */
export const MIN_EVENT_TS = 946_684_800_000;
export const MAX_CLOCK_SKEW_MS = 86_400_000;
