/** @module shared-models/schema/event — the one event schema used by the browser, the server and the trainer. */
import { z } from 'zod';
import { EVENT_TYPE_PATTERN, EVENTS_REQUIRING_ITEMS, LIMITS, MAX_CLOCK_SKEW_MS, MIN_EVENT_TS } from './constants';

const text = (max: number) => z.string().max(max);
const id = z
  .string()
  .min(1)
  .max(LIMITS.id)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must contain only letters, digits and _ . : -');
const money = z.number().finite().min(-1e12).max(1e12);
/**
 * A price or a discount is never below zero (a refund is its own event, with a positive value):
 * decided here once, so the ingest refuses what the trainer would otherwise drop as impossible.
 */
const price = z.number().finite().min(0).max(1e12);

/** A picture's address: absolute http(s) only (never `javascript:` or `data:`), at most a URL's length. */
export const imageUrl = z
  .string()
  .max(LIMITS.url)
  .regex(/^https?:\/\/[^\s]+$/i, 'must be an absolute http(s) URL');

/** One product in an event, in GA4's item shape. */
export const ItemSchema = z.strictObject({
  item_id: z.string().min(1).max(LIMITS.itemId),
  item_name: text(LIMITS.name).optional(),
  item_brand: text(LIMITS.name).optional(),
  item_category: text(LIMITS.name).optional(),
  item_category2: text(LIMITS.name).optional(),
  item_category3: text(LIMITS.name).optional(),
  item_category4: text(LIMITS.name).optional(),
  item_category5: text(LIMITS.name).optional(),
  item_variant: text(LIMITS.name).optional(),
  item_list_id: text(LIMITS.name).optional(),
  item_list_name: text(LIMITS.name).optional(),
  affiliation: text(LIMITS.name).optional(),
  coupon: text(LIMITS.shortText).optional(),
  discount: price.optional(),
  index: z.number().int().min(0).max(10_000).optional(),
  price: price.optional(),
  /** At least one: a line of nothing is no line (the trainer drops it as impossible). */
  quantity: z.number().int().min(1).max(1_000_000).optional(),
  in_stock: z.boolean().optional(),
  /** The product's picture as the shop publishes it: an absolute http(s) URL. */
  item_image: imageUrl.optional(),
});

const PageSchema = z.strictObject({
  url: text(LIMITS.url),
  referrer: text(LIMITS.url).optional(),
  title: text(LIMITS.title).optional(),
});

export const DEVICE_CLASSES = ['mobile', 'tablet', 'desktop'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

const PropValue = z.union([z.string().max(LIMITS.propString), z.number().finite(), z.boolean(), z.null()]);
const PropsSchema = z.record(z.string().min(1).max(LIMITS.propKey), PropValue);

/**
 * Every field an event may carry, each with its own rules: what a JSON Schema can say. Unknown
 * top-level fields are refused so typos surface early.
 */
export const EventFieldsSchema = z.strictObject({
  event_id: z.uuid(),
  type: z.string().regex(EVENT_TYPE_PATTERN, 'must be snake_case, starting with a letter, at most 40 characters'),
  ts: z.number().int(),
  anonymous_id: id,
  session_id: id,
  user_id: id.optional(),
  items: z.array(ItemSchema).max(LIMITS.items).optional(),
  value: money.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .optional(),
  transaction_id: text(LIMITS.shortText).optional(),
  coupon: text(LIMITS.shortText).optional(),
  shipping_tier: text(LIMITS.shortText).optional(),
  payment_type: text(LIMITS.shortText).optional(),
  search_term: text(LIMITS.searchTerm).optional(),
  item_list_id: text(LIMITS.name).optional(),
  item_list_name: text(LIMITS.name).optional(),
  method: text(LIMITS.shortText).optional(),
  content_type: text(LIMITS.shortText).optional(),
  rating: z.number().min(0).max(5).optional(),
  engagement_ms: z.number().int().min(0).max(86_400_000).optional(),
  scroll_depth: z.number().min(0).max(100).optional(),
  page: PageSchema.optional(),
  /** Whether the shopper gets on-device recommendations (treatment) or is held out to measure their effect (control). */
  group: z.enum(['treatment', 'control']).optional(),
  /** The kind of device, as coarse as a profile needs: never a model or a fingerprint. */
  device: z.enum(DEVICE_CLASSES).optional(),
  props: PropsSchema.optional(),
});

export type AisleItem = z.infer<typeof ItemSchema>;
export type AisleEvent = z.infer<typeof EventFieldsSchema>;

/** One problem with one field, `path` in dotted form (`items.0.price`). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * The rules that tie fields together, for an event whose fields each have the right shape. One
 * function, so that the schema below and the compiled fast path in `validate` cannot drift apart.
 */
export function crossFieldIssues(e: AisleEvent): FieldError[] {
  const issues: FieldError[] = [];
  if (EVENTS_REQUIRING_ITEMS.includes(e.type) && !e.items?.length) {
    issues.push({ path: 'items', message: `${e.type} needs at least one item` });
  }
  if (e.type === 'search' && !e.search_term?.trim()) {
    issues.push({ path: 'search_term', message: 'search needs a search_term' });
  }
  if (e.type === 'purchase' && e.value === undefined) {
    issues.push({ path: 'value', message: 'purchase needs a value' });
  }
  if (e.type === 'user_engagement' && e.engagement_ms === undefined) {
    issues.push({ path: 'engagement_ms', message: 'user_engagement needs engagement_ms' });
  }
  // GA4's rule: a monetary value means nothing without its currency.
  if (e.value !== undefined && !e.currency) {
    issues.push({ path: 'currency', message: 'currency is required when value is set' });
  }
  if (e.props && Object.keys(e.props).length > LIMITS.props) {
    issues.push({ path: 'props', message: `at most ${LIMITS.props} properties` });
  }
  return issues;
}

/**
 * The event schema with the rules that tie fields together. Built once: Zod compiles a schema on
 * first use, and rebuilding it per batch costs three times the validation itself. The time bound
 * on `ts` depends on the clock, so `tsError` checks it separately.
 */
export const EventSchema = EventFieldsSchema.superRefine((e, ctx) => {
  for (const issue of crossFieldIssues(e)) {
    ctx.addIssue({ code: 'custom', path: issue.path.split('.'), message: issue.message });
  }
});

/**
 * Why `ts` is impossible at time `now` (before 2000, or beyond a day of clock skew in the future),
 * or undefined when it is fine. The trainer passes the time its data was exported as `now`.
 */
export function tsError(ts: number, now: number = Date.now()): string | undefined {
  if (ts < MIN_EVENT_TS || ts > now + MAX_CLOCK_SKEW_MS) {
    return `must be milliseconds since 1970 between 2000 and now, got ${ts}`;
  }
  return undefined;
}
