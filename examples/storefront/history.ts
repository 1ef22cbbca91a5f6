/**
 * @module examples/storefront/history — a season of the demo shop's past shoppers, so that `npm
 * start` can train its models before anyone has shopped: each shopper favours a category or two,
 * signs in or searches now and then, reaches most products by clicking their cards, browses at a
 * person's uneven pace, comes back to items, carts, checks out and sometimes pays twice (a declined
 * card), over 90 days, on a phone or a desktop — the events the shop's script sends for all that.
 */
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import { CATEGORIES, PRODUCTS, type Product } from './catalog';

export function demoHistory({
  shoppers = 600,
  days = 90,
  seed = 2026,
  end = Date.UTC(2026, 10, 1),
} = {}): Interaction[] {
  const rnd = random(seed);
  const normal = (r = rnd) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const pause = (median: number) => median * Math.exp(0.9 * normal());
  // Sign-ins, searches and card clicks draw from their own stream: the season's products, carts
  // and orders stay what they were before these were simulated (and the models trained on them).
  const side = random(seed + 1);
  const sidePause = (median: number) => median * Math.exp(0.9 * normal(side));
  const start = end - days * 86_400_000;
  const byCategory = CATEGORIES.map((c) => PRODUCTS.filter((p) => p.slug === c.slug));
  // Within a category the first products are the popular ones.
  const draw = (list: Product[]) => list[Math.min(list.length - 1, Math.floor(list.length * rnd() ** 2.2))];
  const rows: Interaction[] = [];
  for (let s = 0; s < shoppers; s++) {
    const favourites = [Math.floor(rnd() * byCategory.length), Math.floor(rnd() * byCategory.length)];
    const device = rnd() < 0.55 ? 'mobile' : 'desktop';
    const user = `demo-${s}`;
    let t = start + rnd() * 30 * 86_400_000;
    let session = 0;
    while (t < end) {
      session++;
      const seen: Product[] = [];
      const row = (type: string, p: Product | undefined, at: number) =>
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
      const views = 2 + Math.floor(rnd() * 8);
      for (let k = 0; k < views; k++) {
        const back = seen.length > 0 && rnd() < 0.25;
        const list = byCategory[favourites[rnd() < 0.8 ? 0 : 1]];
        const p = back ? seen[Math.floor(rnd() * seen.length)] : draw(list);
        seen.push(p);
        push('view_item', p);
      }
      if (rnd() < 0.35) {
        const p = seen[seen.length - 1];
        push('add_to_cart', p);
        if (rnd() < 0.55) {
          push('begin_checkout', p);
          push('add_payment_info', p);
          if (rnd() < 0.08) {
            push('payment_failed', p);
            push('add_payment_info', p);
          }
          push('purchase', p);
        }
      }
      t += (1 + rnd() * 12) * 86_400_000;
    }
  }
  return rows.sort((a, b) => a.ts - b.ts);
}

/** The catalogue as devices download it: ids, names, categories, prices and availability. */
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
    })),
  };
}
