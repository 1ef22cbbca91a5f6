/**
 * @module test/helpers/interactions — a shop's interaction log with structure a model can learn:
 * shoppers keep to one category and walk its items in order, with some random views between.
 */

import { toInterchangeCsv } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import type { Interaction } from '../../training/src/data/interchange';

export function shopLog({ users = 200, categories = 6, perCategory = 10, seed = 7 } = {}): Interaction[] {
  const rnd = random(seed);
  const rows: Interaction[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let u = 0; u < users; u++) {
    const category = Math.floor(rnd() * categories);
    let position = Math.floor(rnd() * perCategory);
    const length = 5 + Math.floor(rnd() * 10);
    for (let k = 0; k < length; k++) {
      const noise = rnd() < 0.15;
      const c = noise ? Math.floor(rnd() * categories) : category;
      const item = noise ? Math.floor(rnd() * perCategory) : position;
      position = (position + 1) % perCategory;
      rows.push({
        user_id: `u${u}`,
        item_id: `c${c}-i${item}`,
        type: k % 4 === 3 ? 'add_to_cart' : 'view_item',
        ts: start + u * 3_600_000 + k * 60_000,
        session_id: `u${u}-s1`,
        price: 10 + item,
        category: `cat${c}`,
      });
    }
  }
  return rows;
}

/** The rows as an interchange CSV. */
export const toCsv = toInterchangeCsv;

/** The cut-off `shopHistory` is built around: 2026-05-01. */
export const HISTORY_AS_OF = Date.UTC(2026, 4, 1);

/**
 * Six months of a shop's events, 150 days before `HISTORY_AS_OF` and 45 after: loyal shoppers
 * visit and buy all along; the others drift away at some point before the cut-off and never return.
 */
export function shopHistory({ users = 300, seed = 5 } = {}): Interaction[] {
  const rnd = random(seed);
  const day = 86_400_000;
  const start = HISTORY_AS_OF - 150 * day;
  const rows: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const loyal = rnd() < 0.6;
    const stop = loyal ? HISTORY_AS_OF + 45 * day : HISTORY_AS_OF - (5 + rnd() * 85) * day;
    const category = `cat${Math.floor(rnd() * 5)}`;
    let t = start + rnd() * 20 * day;
    let session = 0;
    while (t < stop) {
      session++;
      const items = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < items; k++) {
        const item = `${category}-i${Math.floor(rnd() * 12)}`;
        const base = {
          user_id: `u${u}`,
          item_id: item,
          ts: Math.round(t + k * 60_000),
          session_id: `u${u}-s${session}`,
          price: 20,
          category,
        };
        rows.push({ ...base, type: 'view_item' });
        if (rnd() < 0.3) rows.push({ ...base, type: 'add_to_cart', ts: base.ts + 1000 });
        if (rnd() < (loyal ? 0.25 : 0.1)) rows.push({ ...base, type: 'purchase', ts: base.ts + 2000, quantity: 1 });
      }
      t += (loyal ? 2 + rnd() * 6 : 4 + rnd() * 12) * day;
    }
  }
  return rows;
}

/**
 * Shoppers' sessions as people browse: uneven pauses (seconds to minutes, log-normal), a few
 * items of one category, sometimes a cart, a checkout and a payment (rarely declined once), for
 * `days` days from 2026-03-01. No session_id: the trainer cuts sessions at 30 idle minutes.
 */
export function humanSessions({ users = 250, days = 60, seed = 11 } = {}): Interaction[] {
  const rnd = random(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const pause = (median: number) => median * Math.exp(0.9 * normal());
  const start = Date.UTC(2026, 2, 1);
  const rows: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const category = `cat${Math.floor(rnd() * 6)}`;
    let t = start + rnd() * 5 * 86_400_000;
    while (t < start + days * 86_400_000) {
      const item = () => ({
        item_id: `${category}-i${Math.floor(rnd() * 40)}`,
        category,
        price: 15 + Math.floor(rnd() * 60),
      });
      const push = (type: string, from = item()) => {
        rows.push({ user_id: `u${u}`, type, ts: Math.round(t), ...from });
        t += pause(25_000);
      };
      let last = item();
      const views = 1 + Math.floor(rnd() * 8);
      for (let k = 0; k < views; k++) {
        last = rnd() < 0.2 ? last : item();
        push('view_item', last);
      }
      if (rnd() < 0.3) {
        push('add_to_cart', last);
        if (rnd() < 0.5) {
          push('begin_checkout', last);
          push('add_payment_info', last);
          if (rnd() < 0.1) {
            push('payment_failed', last);
            push('add_payment_info', last);
          }
          push('purchase', last);
        }
      }
      t += (1 + rnd() * 6) * 86_400_000;
    }
  }
  return rows.sort((a, b) => a.ts - b.ts);
}

/**
 * A shop's log as e-commerce logs are: shoppers come back to items they looked at (a second view,
 * the cart, the purchase), popular items are far more popular than the rest, and a long tail of
 * items has a handful of events each; every item has a category and a price.
 */
export function returningShoppers({ users = 300, items = 400, seed = 21 } = {}): Interaction[] {
  const rnd = random(seed);
  const categories = 8;
  const catalogue = Array.from({ length: items }, (_, i) => ({
    id: `p${i}`,
    category: `c${i % categories}`,
    price: 5 + ((i * 37) % 95),
  }));
  // Zipf-like: item i drawn with weight 1 / (i + 1) within its category.
  const inCategory = (c: number) => catalogue.filter((_, i) => i % categories === c);
  const draw = (list: typeof catalogue) => {
    const total = list.reduce((s, _, i) => s + 1 / (i + 1), 0);
    let r = rnd() * total;
    for (const [i, item] of list.entries()) {
      r -= 1 / (i + 1);
      if (r <= 0) return item;
    }
    return list[list.length - 1];
  };
  const rows: Interaction[] = [];
  const start = Date.UTC(2026, 1, 1);
  for (let u = 0; u < users; u++) {
    const favourite = inCategory(Math.floor(rnd() * categories));
    const seen: (typeof catalogue)[number][] = [];
    let t = start + rnd() * 10 * 86_400_000;
    const length = 6 + Math.floor(rnd() * 14);
    for (let k = 0; k < length; k++) {
      const back = seen.length > 0 && rnd() < 0.4;
      const item = back ? seen[seen.length - 1 - Math.floor(rnd() * Math.min(3, seen.length))] : draw(favourite);
      const type = back ? (rnd() < 0.5 ? 'add_to_cart' : 'purchase') : 'view_item';
      rows.push({
        user_id: `s${u}`,
        item_id: item.id,
        type,
        ts: Math.round(t),
        category: item.category,
        price: item.price,
      });
      seen.push(item);
      t += 30_000 + rnd() * 600_000;
    }
  }
  return rows.sort((a, b) => a.ts - b.ts);
}
