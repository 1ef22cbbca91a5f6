/**
 * @module shared-models/features/session — one browsing session's behaviour as the columns the
 * anomaly model reads: pace, the regularity of its timing, breadth, cart and checkout velocity,
 * payment failures, and how many of each kind of action it took (pages, searches, clicks, cart
 * removals, logins, sign-ups). Scripts are fast, regular and broad; card testers fail payments in bursts.
 */

import { type Interaction, isItemAction, itemSteps, NOT_SHOPPER_ACTIONS } from '../schema/interaction';
import { SESSION_IDLE_MS } from '../schema/sessions';
import { type BloomSet, bloomOf, bloomReader } from '../util/bloom';
import type { TableRow } from './tabular';

export const SESSION_COLUMNS = [
  'events',
  'duration_s',
  'events_per_minute',
  'mean_gap_s',
  'min_gap_s',
  'gap_regularity',
  'max_events_in_10s',
  'distinct_items',
  'distinct_categories',
  'item_breadth',
  'carts',
  'carts_per_minute',
  'checkouts',
  'payment_attempts',
  'payment_failures',
  'purchases',
  'page_views',
  'searches',
  'clicks',
  'cart_removals',
  'logins',
  'sign_ups',
  'top_item_share',
  'rare_item_surprise',
] as const;

export { SESSION_IDLE_MS };

/**
 * Groups interactions (sorted by time) into sessions: by `session_id` where the row has one,
 * otherwise per user, a new session after 30 idle minutes (`user#1`, `user#2`, …).
 */
export function sessionize(events: readonly Interaction[]): Map<string, Interaction[]> {
  const sessions = new Map<string, Interaction[]>();
  const open = new Map<string, { key: string; last: number; n: number }>();
  for (const e of events) {
    let key = e.session_id;
    if (!key) {
      const current = open.get(e.user_id);
      if (current && e.ts - current.last <= SESSION_IDLE_MS) {
        current.last = e.ts;
      } else {
        const n = (current?.n ?? 0) + 1;
        open.set(e.user_id, { key: `${e.user_id}#${n}`, last: e.ts, n });
      }
      key = (open.get(e.user_id) as { key: string }).key;
    }
    const list = sessions.get(key);
    if (list) list.push(e);
    else sessions.set(key, [e]);
  }
  return sessions;
}

/** Events within this of a moment's first event are that moment (one page loading); a script's faster ticks still come a moment a second. */
export const MOMENT_MS = 1000;

/**
 * What the session columns mean, recorded in each anomaly model's manifest: 3 adds
 * `rare_item_surprise` (against the model's `rare_items`); 2 times the pauses between moments
 * (`MOMENT_MS`) and counts a card's click and the page it opened as one item step (`itemSteps`); 1,
 * or no version, times them between events and counts every item event (models trained before,
 * scored as they were trained). A model is scored with the columns of its own version.
 */
export const SESSION_FEATURES_VERSION = 3;

/**
 * The shop's rarely opened products, as the model that reads `rare_item_surprise` knows them: those
 * fewer of the training sessions opened than `RARE_SHARE_OF_MEAN` times the average product's (at
 * most `RARE_MAX_ITEMS`, the rarest), as a Bloom filter, with the share of the products a session
 * opened that the filter holds rare (`share`, counted through the filter, its false positives
 * included, as the device counts). People look mostly at what others look at; a scraper walks the
 * catalogue, where many products are ones hardly anybody opens. A product the training sessions
 * never opened is not counted rare: it may be new, which says nothing of who opens it.
 */
export type RareItems = BloomSet & { items: number; share: number };

/**
 * The model a row is for: its manifest's `session_features` (absent: 1, a model from before) and,
 * from version 3, its `rare_items` (absent: `rare_item_surprise` blank).
 */
export type ScoredBy = { session_features?: number; rare_items?: RareItems };

/**
 * A product fewer sessions opened than this share of the average product's is rare. Relative to
 * the average, so that a shop whose products are all looked at alike has none: cut at a share of
 * the views instead, its rare ones would be as popular as the rest.
 */
export const RARE_SHARE_OF_MEAN = 0.3;
/** The most products the set holds (a filter of 16,384 is 20 KB): the rarest, those only a crawler reaches. */
export const RARE_MAX_ITEMS = 16_384;

/** The products a session opened (Aisle's own events aside). */
const productsOf = (list: readonly Interaction[]) =>
  new Set(list.filter((e) => !NOT_SHOPPER_ACTIONS.has(e.type) && isItemAction(e)).map((e) => e.item_id));

/** The rare products of `sessions` (see `RareItems`); none where no product is rare. */
export function rareItems(sessions: Iterable<readonly Interaction[]>): RareItems | undefined {
  const opened = new Map<string, number>();
  let pairs = 0;
  for (const list of sessions)
    for (const id of productsOf(list)) {
      opened.set(id, (opened.get(id) ?? 0) + 1);
      pairs++;
    }
  const ceiling = (RARE_SHARE_OF_MEAN * pairs) / opened.size;
  const rare = [...opened]
    .filter(([, n]) => n < ceiling)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, RARE_MAX_ITEMS);
  if (!rare.length) return undefined;
  const set = bloomOf(rare.map(([id]) => id));
  const inSet = bloomReader(set);
  let counted = 0;
  for (const [id, n] of opened) if (inSet(id)) counted += n;
  return { ...set, items: rare.length, share: Math.round((counted / pairs) * 10_000) / 10_000 };
}

/** Each set's membership test, decoded once per manifest. */
const readers = new WeakMap<RareItems, (id: string) => boolean>();
function isRare(set: RareItems): (id: string) => boolean {
  let read = readers.get(set);
  if (!read) {
    read = bloomReader(set);
    readers.set(set, read);
  }
  return read;
}

/** The columns' version for `model`: today's without a model, else the model's own. */
const versionOf = (model?: ScoredBy) => (model ? (model.session_features ?? 1) : SESSION_FEATURES_VERSION);

const round = (x: number) => String(Math.round(x * 1000) / 1000);

/** Events that carry several items at once (a list shown, a basket bought). */
const MULTI_ITEM: ReadonlySet<string> = new Set([
  'view_item_list',
  'view_promotion',
  'view_cart',
  'begin_checkout',
  'add_payment_info',
  'purchase',
  'payment_failed',
  'refund',
]);

/**
 * One session's row, from its interactions in time order, with today's columns or, given a model's
 * manifest, the columns that model was trained on (`SESSION_FEATURES_VERSION`). An event with several items (a list
 * impression, a purchase of three things) counts once; Aisle's own events do not count.
 */
export function sessionRow(all: readonly Interaction[], model?: ScoredBy): TableRow {
  const version = versionOf(model);
  const current = version >= 2;
  const rare = version >= 3 ? model?.rare_items : undefined;
  const momentMs = current ? MOMENT_MS : 0;
  const acted = all.filter((e) => !NOT_SHOPPER_ACTIONS.has(e.type));
  const seenEvents = new Set<string>();
  const list = acted.filter((e) => {
    // One event about several items becomes several rows: count it once. Other rows at the same
    // moment (ratings stamped to the second) are separate actions.
    if (!MULTI_ITEM.has(e.type)) return true;
    const key = `${e.type}@${e.ts}`;
    if (seenEvents.has(key)) return false;
    seenEvents.add(key);
    return true;
  });
  // Nothing the shopper did yet: a session of one page view.
  if (!list.length) list.push({ user_id: all[0]?.user_id ?? '', item_id: '', type: 'page_view', ts: all[0]?.ts ?? 0 });
  const ts = list.map((e) => e.ts);
  // The pauses are between moments, not events: what one page sends as it loads (the page, its
  // product, the list under it) lands within a second, at the device's speed, not the shopper's.
  const moments: number[] = [];
  for (const t of ts) if (!moments.length || t - moments[moments.length - 1] >= momentMs) moments.push(t);
  const gaps = moments.slice(1).map((t, i) => (t - moments[i]) / 1000);
  const duration = (ts[ts.length - 1] - ts[0]) / 1000;
  const minutes = Math.max(duration / 60, 1 / 6); // at least ten seconds, so one quick event is no burst
  const mean = gaps.length ? gaps.reduce((s, g) => s + g, 0) / gaps.length : 0;
  const sd = gaps.length ? Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length) : 0;
  let burst = 0;
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (ts[i] - ts[j] > 10_000) j++;
    burst = Math.max(burst, i - j + 1);
  }
  const count = (type: string) => list.filter((e) => e.type === type).length;
  const withItem = current ? itemSteps(acted.filter(isItemAction)) : acted.filter(isItemAction);
  const products = new Set(withItem.map((e) => e.item_id));
  const items = products.size;
  const carts = count('add_to_cart');
  return {
    events: String(list.length),
    duration_s: round(duration),
    events_per_minute: round(list.length / minutes),
    // Blank for a single event: a gap it does not have is not a gap of zero.
    mean_gap_s: gaps.length ? round(mean) : '',
    min_gap_s: gaps.length ? round(gaps.reduce((m, g) => Math.min(m, g), Number.POSITIVE_INFINITY)) : '',
    // Coefficient of variation of the gaps: people pause unevenly, a script ticks (blank under three events).
    gap_regularity: gaps.length >= 2 && mean > 0 ? round(sd / mean) : '',
    max_events_in_10s: String(burst),
    distinct_items: String(items),
    distinct_categories: String(new Set(withItem.filter((e) => e.category).map((e) => e.category)).size),
    // Share of item events on an item not seen before in the session: a crawler never looks twice.
    item_breadth: withItem.length ? round(items / withItem.length) : '',
    carts: String(carts),
    carts_per_minute: round(carts / minutes),
    checkouts: String(count('begin_checkout')),
    payment_attempts: String(count('add_payment_info')),
    payment_failures: String(count('payment_failed')),
    purchases: String(count('purchase')),
    page_views: String(count('page_view')),
    searches: String(count('search')),
    // A click on a listed or promoted item: what an ad clicker repeats.
    clicks: String(count('select_item') + count('select_promotion')),
    cart_removals: String(count('remove_from_cart')),
    logins: String(count('login')),
    sign_ups: String(count('sign_up')),
    // The share of item events on the one item looked at most: a watcher reloads the same page.
    top_item_share: withItem.length ? round(topShare(withItem)) : '',
    // How unlikely a shopper opens as many products hardly anybody opens (`RareItems`) as this
    // session did: a crawler's walk through the catalogue, at whatever pace, stands out once it is
    // long enough to tell from chance.
    rare_item_surprise: rare && items ? round(rareSurprise(products, rare)) : '',
  };
}

function topShare(events: readonly Interaction[]): number {
  const counts = new Map<string, number>();
  let top = 0;
  for (const e of events) {
    const n = (counts.get(e.item_id) ?? 0) + 1;
    counts.set(e.item_id, n);
    top = Math.max(top, n);
  }
  return top / events.length;
}

/**
 * How unlikely it is that a shopper who opens as many products as `products` opens as many `rare`
 * ones: −log10 of the chance of at least that many, each product rare with the share rare ones took
 * of the training sessions' (from 1 % to 50 %); 0 for no more than that share. One product of one,
 * rare where 5 % are: 1.3 (one in twenty); a crawler's forty of a hundred: over 20. A short session
 * cannot reach a crawler's, however it lands, nor a long look at one product.
 */
function rareSurprise(products: ReadonlySet<string>, rare: RareItems): number {
  const known = isRare(rare);
  let k = 0;
  for (const id of products) if (known(id)) k++;
  const n = products.size;
  const p = Math.min(0.5, Math.max(0.01, rare.share));
  if (k <= n * p) return 0;
  const odds = p / (1 - p);
  // log P(X = k), then P(X ≥ k) / P(X = k) summed term by term until the terms no longer count.
  let log = k * Math.log(p) + (n - k) * Math.log(1 - p);
  for (let j = 0; j < k; j++) log += Math.log((n - j) / (j + 1));
  let sum = 1;
  for (let j = k, term = 1; j < n; j++) {
    term *= ((n - j) / (j + 1)) * odds;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return Math.max(0, -(log + Math.log(sum)) / Math.LN10);
}

/** Each session's row, keyed as `sessionize` keys them, for interactions sorted by time. */
export function sessionRows(events: readonly Interaction[], model?: ScoredBy): Map<string, TableRow> {
  const rows = new Map<string, TableRow>();
  for (const [key, list] of sessionize(events)) rows.set(key, sessionRow(list, model));
  return rows;
}

/**
 * Deterministic signs that a session is no person, read from its row: more than two events a
 * second for ten seconds, a machine's steady pace over fifteen events or more, or three failed
 * payments (card testing). The trainer leaves such sessions out; the device adds them to the risk score.
 */
export function botSignals(row: TableRow): string[] {
  const n = (column: string) => Number(row[column] || 0);
  const signals: string[] = [];
  if (n('max_events_in_10s') >= 20) signals.push('impossible pace');
  if (n('events') >= 15 && row.gap_regularity !== '' && n('gap_regularity') < 0.15)
    signals.push('machine-steady timing');
  if (n('payment_failures') >= 3) signals.push('repeated payment failures');
  return signals;
}
