/**
 * @module dashboard/colours — one colour per thing, the same on every chart: each churn band, each
 * event type, each segment (by its place among the model's segment names, sorted), and each label
 * a flag can get. Charts take their colours from here, never by their own order.
 */
import { PALETTE } from './charts';

/** Churn bands: high red, medium amber, low green. */
export const BAND_COLOURS = { high: '#ef4444', medium: '#f59e0b', low: '#10b981' } as const;

/** Flags and their labels. */
export const FLAG_COLOURS = { flagged: '#ef4444', confirmed: '#8b5cf6', false: '#10b981' } as const;

/** The funnel's steps and the commonest events, each its own; other types share the grey. */
const EVENT_COLOURS: Record<string, string> = {
  page_view: '#94a3b8',
  view_item_list: '#cbd5e1',
  view_item: '#2f6fed',
  select_item: '#06b6d4',
  search: '#84cc16',
  add_to_cart: '#f59e0b',
  begin_checkout: '#f472b6',
  add_payment_info: '#a855f7',
  purchase: '#10b981',
  payment_failed: '#ef4444',
  rec_impression: '#0ea5e9',
  rec_click: '#1d4ed8',
  user_engagement: '#e2e8f0',
  login: '#64748b',
  sign_up: '#475569',
  risk_flag: '#b91c1c',
};
export const OTHER_COLOUR = '#9ca3af';
export const eventColour = (type: string) => EVENT_COLOURS[type] ?? OTHER_COLOUR;

/** A segment's colour: its place among the segment names, sorted, so every chart and page agrees. */
export function segmentColours(names: readonly string[]): (name: string) => string {
  const sorted = [...new Set(names)].sort();
  return (name) => PALETTE[Math.max(0, sorted.indexOf(name)) % PALETTE.length];
}
