/**
 * @module examples/storefront/history — a season of the demo shop's past shoppers, so that `npm
 * start` can train its models before anyone has shopped: each shopper favours a category or two,
 * signs in or searches now and then, reaches most products by clicking their cards, browses at a
 * person's uneven pace, comes back to items, carts, checks out and sometimes pays twice (a declined
 * card), over 90 days, on a phone or a desktop — the events the shop's script sends for all that.
 *
 * Shoppers differ and change, as a shop's do, so that churn has a story to learn: each has their
 * own rhythm (how often they come back) and keenness to buy; they arrive steadily, so each month
 * brings a cohort; each has a lifetime, and in the three weeks before leaving for good they cool
 * off — longer gaps, shorter visits, fewer carts. Visits lean to evenings and weekends, and a sale
 * week (one in eight) brings shoppers back sooner and more of them buy.
 */
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import { CATEGORIES, PRODUCTS, type Product } from './catalog';
import { pictureUrl } from './pictures';

const DAY = 86_400_000;
/** Where shoppers' arrivals are counted from; any day past it can end a season. */
const ORIGIN = Date.UTC(2020, 0, 1);
/** No one's lifetime (days) is longer: how far before a season its earliest shoppers can have come. */
const LONGEST_LIFE = 400;
/** The sale: one week in every eight, counted from ORIGIN, so every 90-day season has one. */
const onSale = (at: number) => Math.floor((at - ORIGIN) / DAY) % 56 < 7;

/** The end of the season `npm start` shows: today, 00:00 UTC (the simulated past ends where live traffic begins). */
export const demoSeasonEnd = (now = Date.now()) => Math.floor(now / DAY) * DAY;

/** A seed for one shopper's own random streams (mixed, so that neighbouring shoppers' streams do not overlap). */
function shopperSeed(seed: number, n: number, stream: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 1, 0xc2b2ae35) ^ Math.imul(stream + 7, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The `days` before `end`. Shoppers arrive one after another, at a steady rate, counted from
 * ORIGIN, each simulated from their own random streams: a season ending a day later holds the same
 * events for the days both cover, so the demo's season can move with the calendar (stored again
 * when stale, nothing twice). `shoppers` is about how many are active in a season.
 */
export function demoHistory({ shoppers = 600, days = 90, seed = 2026, end = demoSeasonEnd() } = {}): Interaction[] {
  const start = end - days * DAY;
  const byCategory = CATEGORIES.map((c) => PRODUCTS.filter((p) => p.slug === c.slug));
  // Arrivals per day: those active in a season are the ones who came during it or one lifetime before.
  const perDay = shoppers / (days + 80);
  const first = Math.max(0, Math.floor(((start - ORIGIN) / DAY - LONGEST_LIFE) * perDay));
  const last = Math.ceil(((end - ORIGIN) / DAY) * perDay);
  const rows: Interaction[] = [];
  for (let n = first; n <= last; n++) {
    const rnd = random(shopperSeed(seed, n, 0));
    // Sign-ins, searches and card clicks draw from their own stream: the products, carts and
    // orders stay what they were before these were simulated (and the models trained on them).
    const side = random(shopperSeed(seed, n, 1));
    const normal = (r = rnd) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const pause = (median: number) => median * Math.exp(0.9 * normal());
    const sidePause = (median: number) => median * Math.exp(0.9 * normal(side));
    // Within a category the first products are the popular ones.
    const draw = (list: Product[]) => list[Math.min(list.length - 1, Math.floor(list.length * rnd() ** 2.2))];
    /** A visit's moment on day `at`: evenings mostly, weekends more often than weekdays. */
    const visitTime = (at: number) => {
      let day = Math.floor(at / DAY);
      const weekday = (d: number) => (d + 4) % 7; // 0 Sunday … 6 Saturday (1970-01-01 was a Thursday)
      // Some weekday visits wait for the weekend (Saturday or Sunday).
      const w = weekday(day);
      if (w !== 0 && w !== 6 && rnd() < 0.3) day += 6 - w + (rnd() < 0.5 ? 1 : 0);
      const hour = rnd() < 0.65 ? 18 + rnd() * 5 : 8 + rnd() * 10;
      return Math.max(at, day * DAY + hour * 3_600_000);
    };
    const favourites = [Math.floor(rnd() * byCategory.length), Math.floor(rnd() * byCategory.length)];
    const device = rnd() < 0.55 ? 'mobile' : 'desktop';
    const user = `demo-${n}`;
    // Their own rhythm and keenness; when they came, and when they leave for good.
    const rhythm = Math.exp(0.6 * normal());
    const keen = Math.min(2.2, Math.exp(0.45 * normal()));
    const joined = ORIGIN + (n + rnd()) * (DAY / perDay);
    const leaves = joined + Math.min(LONGEST_LIFE, 10 + -Math.log(1 - rnd()) * 70) * DAY;
    // Gone a day before the season (their last visit over by then), or not come yet: nothing of theirs in it.
    if (leaves + DAY <= start || joined >= end) continue;
    let t = visitTime(joined);
    let session = 0;
    while (t < end && t < leaves) {
      // Cooling off: 0 until three weeks before they leave, rising to 1 on their last visit.
      const cooling = Math.min(1, Math.max(0, 1 - (leaves - t) / (21 * DAY)));
      session++;
      const seen: Product[] = [];
      // Simulated from the day they came; kept from the season's first day.
      const row = (type: string, p: Product | undefined, at: number) =>
        at >= start &&
        at < end &&
        rows.push({
          user_id: user,
          item_id: p?.id ?? '',
          type,
          ts: Math.round(at),
          session_id: `${user}-${session}`,
          ...(p ? { price: p.price, category: p.category } : {}),
          device,
          ...(type === 'purchase' ? { quantity: 1 } : {}),
        });
      const push = (type: string, p: Product) => {
        if (type === 'view_item') {
          // Most product pages are reached by clicking the product's card in a list (the script
          // reports the click as select_item, a moment before the page it opens).
          if (side() < 0.7) row('select_item', p, t - sidePause(250));
          // A product page as the script reports it: the page, the product, the related list under it,
          // each a few to a few hundred milliseconds after the other, as a page loads on a phone or a desktop.
          row('page_view', undefined, t);
          const product = t + sidePause(60);
          row('view_item', p, product);
          const list = byCategory[CATEGORIES.findIndex((c) => c.name === p.category)];
          const related = product + sidePause(60);
          for (let r = 1; r <= 4; r++) row('view_item_list', list[(list.indexOf(p) + r) % list.length], related);
        } else row(type, p, t);
        t += pause(30_000);
      };
      // Some shoppers sign in first (a few create their account on their first visit); some search.
      if (session === 1 && side() < 0.05) {
        row('sign_up', undefined, t);
        t += sidePause(15_000);
      } else if (side() < 0.15) {
        row('login', undefined, t);
        t += sidePause(10_000);
      }
      if (side() < 0.25) {
        row('search', undefined, t);
        t += sidePause(8_000);
      }
      // Some visits start on the home page: the page and its featured list.
      if (rnd() < 0.4) {
        row('page_view', undefined, t);
        const featured = t + sidePause(60);
        for (let f = 0; f < 12; f++) row('view_item_list', PRODUCTS[(f * 25 + 3) % PRODUCTS.length], featured);
        t += pause(20_000);
      }
      const views = 2 + Math.floor(rnd() * 8 * (1 - 0.6 * cooling));
      for (let k = 0; k < views; k++) {
        const back = seen.length > 0 && rnd() < 0.25;
        const list = byCategory[favourites[rnd() < 0.8 ? 0 : 1]];
        const p = back ? seen[Math.floor(rnd() * seen.length)] : draw(list);
        seen.push(p);
        push('view_item', p);
      }
      if (rnd() < 0.4 * keen * (1 - 0.75 * cooling) * (onSale(t) ? 1.4 : 1)) {
        const p = seen[seen.length - 1];
        push('add_to_cart', p);
        if (rnd() < 0.65) {
          push('begin_checkout', p);
          push('add_payment_info', p);
          if (rnd() < 0.08) {
            push('payment_failed', p);
            push('add_payment_info', p);
          }
          push('purchase', p);
        } else if (side() < 0.3) {
          // Some change their mind and take it out again (drawn on the side stream, so the visits,
          // carts and orders of the season are the same as without it).
          row('remove_from_cart', p, t + sidePause(20_000));
        }
      }
      const gap = (1 + rnd() * 9) * rhythm * (1 + 2.5 * cooling) * (onSale(t) ? 0.6 : 1);
      t = visitTime(t + gap * DAY);
    }
  }
  return rows.sort((a, b) => a.ts - b.ts);
}

/** The catalogue as devices download it: ids, names, categories, prices, availability, pages and pictures. */
export function catalogDocument() {
  return {
    currency: 'EUR',
    items: PRODUCTS.map((p) => ({
      item_id: p.id,
      item_name: p.name,
      item_category: p.category,
      price: p.price,
      in_stock: p.inStock,
      url: `/demo/p/${p.id}`,
      image: pictureUrl(p),
    })),
  };
}
