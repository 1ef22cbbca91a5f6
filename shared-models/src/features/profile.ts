/**
 * @module shared-models/features/profile — what segments a shopper beyond RFM: how much of their
 * attention one category holds, how the prices they look at compare with the shop's, when they
 * shop (the hour as a point on a circle, so 23:00 sits next to 01:00; weekends) and on what device.
 */
import { type Interaction, itemActionsByUser, itemSteps } from '../schema/interaction';
import { behaviourRows } from './behaviour';
import type { TableRow } from './tabular';

export const PROFILE_EXTRA_COLUMNS = [
  'top_category_share',
  'relative_price',
  'hour_sin',
  'hour_cos',
  'weekend_share',
  'mobile_share',
] as const;

const DAY = 86_400_000;
const round = (x: number) => String(Math.round(x * 1000) / 1000);

/** The shop's typical price: the median price of the priced events up to `asOf` (0 when none). */
export function referencePrice(events: readonly Interaction[], asOf: number): number {
  const prices = events
    .filter((e) => e.ts <= asOf && e.price !== undefined && e.price > 0)
    .map((e) => e.price as number)
    .sort((a, b) => a - b);
  return prices.length ? prices[Math.floor((prices.length - 1) / 2)] : 0;
}

interface Extra {
  sin: number;
  cos: number;
  weekend: number;
  events: number;
  priceSum: number;
  priced: number;
  mobile: number;
  withDevice: number;
  categories: Map<string, number>;
}

/**
 * Each user's behaviour row (`behaviourRows`) with the profile columns added. Hours are UTC: a
 * shop's customers in one time zone keep their evening at one UTC hour, which segments the same.
 */
export function profileRows(events: readonly Interaction[], asOf: number, reference: number): Map<string, TableRow> {
  const rows = behaviourRows(events, asOf);
  const extras = new Map<string, Extra>();
  for (const e of events) {
    if (e.ts > asOf) continue;
    let x = extras.get(e.user_id);
    if (!x) {
      x = {
        sin: 0,
        cos: 0,
        weekend: 0,
        events: 0,
        priceSum: 0,
        priced: 0,
        mobile: 0,
        withDevice: 0,
        categories: new Map(),
      };
      extras.set(e.user_id, x);
    }
    const angle = (2 * Math.PI * (e.ts % DAY)) / DAY;
    x.sin += Math.sin(angle);
    x.cos += Math.cos(angle);
    const weekday = new Date(e.ts).getUTCDay();
    if (weekday === 0 || weekday === 6) x.weekend++;
    x.events++;
    if (e.price !== undefined && e.price > 0) {
      x.priceSum += e.price;
      x.priced++;
    }
    if (e.device) {
      x.withDevice++;
      if (e.device === 'mobile' || e.device === 'tablet') x.mobile++;
    }
    if (e.category) x.categories.set(e.category, (x.categories.get(e.category) ?? 0) + 1);
  }
  for (const [user, row] of rows) {
    const x = extras.get(user) as Extra;
    const categorised = [...x.categories.values()].reduce((s, n) => s + n, 0);
    Object.assign(row, {
      top_category_share: categorised ? round(Math.max(...x.categories.values()) / categorised) : '',
      relative_price: x.priced && reference > 0 ? round(x.priceSum / x.priced / reference) : '',
      // The mean of the hours as points on a circle: its direction is when, its length how regularly.
      hour_sin: round(x.sin / x.events),
      hour_cos: round(x.cos / x.events),
      weekend_share: round(x.weekend / x.events),
      mobile_share: x.withDevice ? round(x.mobile / x.withDevice) : '',
    });
  }
  return rows;
}

/** The hour (0–24, UTC) a shopper's activity centres on, and how strongly (0 spread out, 1 always then). */
export function typicalHour(row: TableRow): { hour: number; strength: number } {
  const s = Number(row.hour_sin || 0);
  const c = Number(row.hour_cos || 0);
  const hour = ((Math.atan2(s, c) / (2 * Math.PI)) * 24 + 24) % 24;
  return { hour, strength: Math.hypot(s, c) };
}

/** Each user's item events up to `asOf`, oldest first: what a recommender reads their taste from. */
export function itemHistories(
  events: readonly Interaction[],
  asOf: number,
): Map<string, { items: string[]; types: string[] }> {
  const out = new Map<string, { items: string[]; types: string[] }>();
  for (const [user, actions] of itemActionsByUser(events, asOf)) {
    const steps = itemSteps(actions);
    out.set(user, { items: steps.map((e) => e.item_id), types: steps.map((e) => e.type) });
  }
  return out;
}
