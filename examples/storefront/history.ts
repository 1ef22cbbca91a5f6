/**
 * @module examples/storefront/history — a season of the demo shop's past shoppers, so that `npm
 * start` can train its models before anyone has shopped: each shopper favours a category or two,
 * browses at a person's uneven pace, comes back to items, carts, checks out and sometimes pays twice
 * (a declined card), over 90 days, on a phone or a desktop.
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
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const pause = (median: number) => median * Math.exp(0.9 * normal());
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
          // A product page as the script reports it: the page, the product, the related list under it.
          row('page_view', undefined, t);
          row('view_item', p, t + 40);
          const list = byCategory[CATEGORIES.findIndex((c) => c.name === p.category)];
          for (let r = 1; r <= 4; r++) row('view_item_list', list[(list.indexOf(p) + r) % list.length], t + 60);
        } else row(type, p, t);
        t += pause(30_000);
      };
      // Some visits start on the home page: the page and its featured list.
      if (rnd() < 0.4) {
        row('page_view', undefined, t);
        for (let f = 0; f < 12; f++) row('view_item_list', PRODUCTS[(f * 25 + 3) % PRODUCTS.length], t + 5);
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
