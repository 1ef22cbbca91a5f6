/** @module capture/normalize — turns loosely shaped input (dataLayer params, attributes, aisle.track props) into schema fields. */
import { LIMITS } from '@aisle/shared-models/schema/constants';
import type { AisleEvent, AisleItem } from '@aisle/shared-models/schema/event';
import { truncateText } from '@aisle/shared-models/schema/text';

/** The parts of an event a collector supplies; ids, time and page are added by the tracker. */
export type EventFields = Omit<AisleEvent, 'event_id' | 'type' | 'ts' | 'anonymous_id' | 'session_id' | 'user_id'>;

type Loose = Record<string, unknown>;

const str = (v: unknown, max: number): string | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s ? truncateText(s, max) : undefined;
};

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number.parseFloat(v.replace(/[^\d.-]/g, '')) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

const int = (v: unknown): number | undefined => {
  const n = num(v);
  return n === undefined ? undefined : Math.max(0, Math.round(n));
};

const ITEM_TEXT = [
  'item_name',
  'item_brand',
  'item_category',
  'item_category2',
  'item_category3',
  'item_category4',
  'item_category5',
  'item_variant',
  'item_list_id',
  'item_list_name',
  'affiliation',
] as const;

/**
 * A picture's address as an event carries it: resolved against `base` (the page) when given, kept
 * only as an absolute http(s) URL no longer than a URL may be; anything else is no picture.
 */
export function imageOf(v: unknown, base?: string): string | undefined {
  if (typeof v !== 'string' || !v.trim() || v.length > LIMITS.url) return undefined;
  try {
    const url = new URL(v.trim(), base);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.href.length <= LIMITS.url && !/\s/.test(url.href) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A GA4 item from whatever the page gave us, or null without an id (Universal Analytics' `id`/`name` accepted). */
export function toItem(raw: unknown): AisleItem | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Loose;
  const item_id = str(r.item_id ?? r.id ?? r.sku, LIMITS.itemId);
  if (!item_id) return null;
  const item: AisleItem = { item_id };
  for (const key of ITEM_TEXT) {
    const v = str(
      r[key] ?? (key === 'item_name' ? r.name : key === 'item_category' ? r.category : undefined),
      LIMITS.name,
    );
    if (v) item[key] = v;
  }
  const coupon = str(r.coupon, LIMITS.shortText);
  if (coupon) item.coupon = coupon;
  // What the schema refuses (a price below zero, a quantity under one) is left out, not the event.
  const price = num(r.price);
  if (price !== undefined && price >= 0) item.price = price;
  const discount = num(r.discount);
  if (discount !== undefined && discount >= 0) item.discount = discount;
  const quantity = int(r.quantity);
  if (quantity !== undefined && quantity >= 1) item.quantity = quantity;
  const index = int(r.index);
  if (index !== undefined && index <= 10_000) item.index = index;
  if (typeof r.in_stock === 'boolean') item.in_stock = r.in_stock;
  const image = imageOf(r.item_image ?? r.image ?? r.image_url);
  if (image) item.item_image = image;
  return item;
}

export function toItems(raw: unknown): AisleItem[] {
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const out: AisleItem[] = [];
  for (const r of list) {
    const item = toItem(r);
    if (item) out.push(item);
    if (out.length >= LIMITS.items) break;
  }
  return out;
}

const TEXT_FIELDS: [keyof EventFields, number][] = [
  ['transaction_id', LIMITS.shortText],
  ['coupon', LIMITS.shortText],
  ['shipping_tier', LIMITS.shortText],
  ['payment_type', LIMITS.shortText],
  ['item_list_id', LIMITS.name],
  ['item_list_name', LIMITS.name],
  ['method', LIMITS.shortText],
  ['content_type', LIMITS.shortText],
];

const KNOWN = new Set([
  'items',
  'item_id',
  'value',
  'currency',
  'search_term',
  'rating',
  ...TEXT_FIELDS.map(([k]) => k),
]);

const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const EMAIL = /\S+@\S+\.\S+/g;

/** A search term as typed, with anything that looks like an e-mail address or a card number masked. */
export function cleanSearchTerm(raw: unknown): string | undefined {
  const s = str(raw, LIMITS.searchTerm * 2)
    ?.replace(/\s+/g, ' ')
    .replace(EMAIL, '[email]')
    .replace(CARD, '[number]');
  return s === undefined ? undefined : truncateText(s, LIMITS.searchTerm);
}

/**
 * Maps loose params onto event fields. Known GA4 params land in their fields; with
 * `keepUnknown`, other primitive values go to `props` (that is what `aisle.track` wants; dataLayer
 * pushes carry GTM noise, so they do not).
 */
export function toFields(params: Loose, keepUnknown: boolean): EventFields {
  const f: EventFields = {};
  const items = toItems(params.items ?? (params.item_id ? { item_id: params.item_id } : undefined));
  if (items.length) f.items = items;
  const value = num(params.value);
  if (value !== undefined) f.value = value;
  const currency = str(params.currency, 3)?.toUpperCase();
  if (currency && /^[A-Z]{3}$/.test(currency)) f.currency = currency;
  for (const [key, max] of TEXT_FIELDS) {
    const v = str(params[key], max);
    if (v) (f as Loose)[key] = v;
  }
  const term = cleanSearchTerm(params.search_term);
  if (term) f.search_term = term;
  const rating = num(params.rating);
  if (rating !== undefined) f.rating = Math.min(5, Math.max(0, rating));
  if (keepUnknown) {
    const props: Record<string, string | number | boolean | null> = {};
    let n = 0;
    for (const [key, v] of Object.entries(params)) {
      if (KNOWN.has(key) || key.length > LIMITS.propKey || n >= LIMITS.props) continue;
      if (typeof v === 'string') props[key] = truncateText(v, LIMITS.propString);
      else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || v === null) props[key] = v;
      else continue;
      n++;
    }
    if (n) f.props = props;
  }
  return f;
}
