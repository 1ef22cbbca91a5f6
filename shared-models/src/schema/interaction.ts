/**
 * @module shared-models/schema/interaction — one row of the interchange file the trainer reads
 * (../shared/ARCHITECTURE.md), and what the behaviour features are computed from on every side.
 */

import type { AisleEvent } from './event';

/** One interaction. `item_id` is empty for events about no item (a search, a page view). */
export interface Interaction {
  user_id: string;
  item_id: string;
  type: string;
  /** Milliseconds since 1970. */
  ts: number;
  session_id?: string;
  price?: number;
  quantity?: number;
  category?: string;
  /** `mobile`, `tablet` or `desktop`, where the source says. */
  device?: string;
}

/** Events the shopper did not do: what Aisle itself records about its recommendations and checks, and engagement pings. */
export const NOT_SHOPPER_ACTIONS: ReadonlySet<string> = new Set([
  'rec_impression',
  'rec_click',
  'risk_flag',
  'user_engagement',
]);
/** Events that show items rather than act on one. */
export const IMPRESSIONS: ReadonlySet<string> = new Set(['view_item_list', 'view_promotion']);

/** Whether an interaction is the shopper acting on its item: what item histories (recommender, taste) are made of. */
export const isItemAction = (e: Pick<Interaction, 'type' | 'item_id'>) =>
  !!e.item_id && !NOT_SHOPPER_ACTIONS.has(e.type) && !IMPRESSIONS.has(e.type);

/** Each user's item actions (`isItemAction`) at or before `until`, in the order given (time order). */
export function itemActionsByUser<T extends Interaction>(events: readonly T[], until = Infinity): Map<string, T[]> {
  const byUser = new Map<string, T[]>();
  for (const e of events) {
    if (e.ts > until || !isItemAction(e)) continue;
    const list = byUser.get(e.user_id);
    if (list) list.push(e);
    else byUser.set(e.user_id, [e]);
  }
  return byUser;
}

/** Clicks on an item in a list or a promotion: usually the first half of opening its page. */
const CLICKS: ReadonlySet<string> = new Set(['select_item', 'select_promotion']);

/**
 * One shopper's item actions (in time order) as the steps of their history: a click on an item's
 * card followed by that item's page is one step, the page (the script reports both). Item histories
 * (recommender, taste) are read through this on every side, so a shop whose pages are reached by
 * clicks and one whose pages are opened by address give the same history.
 */
export function itemSteps<T extends Pick<Interaction, 'type' | 'item_id'>>(actions: readonly T[]): T[] {
  return actions.filter((e, i) => !(CLICKS.has(e.type) && actions[i + 1]?.item_id === e.item_id));
}

/** The interchange file's columns, in the order `toInterchangeCsv` writes them. */
export const INTERCHANGE_COLUMNS = [
  'user_id',
  'item_id',
  'type',
  'ts',
  'session_id',
  'price',
  'quantity',
  'category',
  'device',
] as const;

const csvCell = (v: string | number | undefined) => {
  if (v === undefined) return '';
  const text = String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Interactions as an interchange CSV (header, one row each, quoted where a value needs it). */
export function toInterchangeCsv(rows: readonly Interaction[]): string {
  const lines = rows.map((r) => INTERCHANGE_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${INTERCHANGE_COLUMNS.join(',')}\n${lines.join('\n')}\n`;
}

/** One interaction per item of the event (one without an item when it has none), keyed by the user id or, before sign-in, the device's anonymous id. */
export function toInteractions(e: AisleEvent): Interaction[] {
  const base: Interaction = {
    user_id: e.user_id ?? e.anonymous_id,
    item_id: '',
    type: e.type,
    ts: e.ts,
    session_id: e.session_id,
  };
  if (e.device) base.device = e.device;
  if (!e.items?.length) return [base];
  return e.items.map((item) => {
    const row: Interaction = { ...base, item_id: item.item_id };
    if (item.price !== undefined) row.price = item.price;
    if (item.quantity !== undefined) row.quantity = item.quantity;
    if (item.item_category !== undefined) row.category = item.item_category;
    return row;
  });
}

/** The latest `ts` of a log (a loop: spreading hundreds of thousands of arguments overflows the stack). */
export function latestTs(events: readonly { ts: number }[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const e of events) if (e.ts > latest) latest = e.ts;
  return latest;
}
