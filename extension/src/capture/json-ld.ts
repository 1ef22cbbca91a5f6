/** @module capture/json-ld — the page's product from schema.org `Product` JSON-LD. */
import type { AisleItem } from '@aisle/shared-models/schema/event';
import type { CaptureContext } from './context';
import { imageOf, toItem } from './normalize';

type Node = Record<string, unknown>;

const isProduct = (n: Node) => {
  const t = n['@type'];
  const types = Array.isArray(t) ? t : [t];
  return types.some((x) => typeof x === 'string' && /(^|[/:])Product$/.test(x));
};

function findProduct(data: unknown, depth = 0): Node | null {
  if (!data || typeof data !== 'object' || depth > 4) return null;
  if (Array.isArray(data)) {
    for (const d of data) {
      const p = findProduct(d, depth + 1);
      if (p) return p;
    }
    return null;
  }
  const node = data as Node;
  if (isProduct(node)) return node;
  return findProduct(node['@graph'] ?? node.mainEntity, depth + 1);
}

const first = (v: unknown): Node | undefined => {
  const x = Array.isArray(v) ? v[0] : v;
  return x && typeof x === 'object' ? (x as Node) : undefined;
};
const text = (v: unknown) => (typeof v === 'string' ? v : (first(v)?.name as string | undefined));

/** schema.org `image`: a URL, an ImageObject (`url` or `contentUrl`), or a list of either: the first. */
const imageUrlOf = (v: unknown): unknown => {
  const x = Array.isArray(v) ? v[0] : v;
  return x && typeof x === 'object' ? ((x as Node).url ?? (x as Node).contentUrl) : x;
};

/** The GA4 item described by a schema.org Product node (its picture resolved against `base`), with its price and currency. */
export function productFromJsonLd(data: unknown, base?: string): { item: AisleItem; currency?: string } | null {
  const p = findProduct(data);
  if (!p) return null;
  const offer = first(p.offers);
  const category = text(p.category);
  const item = toItem({
    item_id: p.sku ?? p.productID ?? p.mpn ?? p.gtin13 ?? p.gtin ?? p['@id'],
    item_name: text(p.name),
    item_brand: text(p.brand),
    // "Clothing > Shoes > Trainers" names the leaf last.
    item_category: category?.split(/\s*[>/|]\s*/).pop(),
    price: offer?.price ?? offer?.lowPrice,
    item_image: imageOf(imageUrlOf(p.image), base),
  });
  if (!item) return null;
  const availability = offer?.availability;
  if (typeof availability === 'string') item.in_stock = /InStock|LimitedAvailability|OnlineOnly/.test(availability);
  const currency = typeof offer?.priceCurrency === 'string' ? offer.priceCurrency : undefined;
  return { item, currency };
}

/** Emits `view_item` for the first Product found in the page's JSON-LD blocks. */
export function scanJsonLd(ctx: CaptureContext): void {
  for (const script of ctx.doc.querySelectorAll('script[type="application/ld+json"]')) {
    let data: unknown;
    try {
      data = JSON.parse(script.textContent ?? '');
    } catch {
      ctx.log.log('debug', 'skipped JSON-LD that does not parse');
      continue;
    }
    const found = productFromJsonLd(data, ctx.doc.baseURI);
    if (!found) continue;
    ctx.setPageItem(found.item);
    const { price } = found.item;
    ctx.emit(
      'view_item',
      {
        items: [found.item],
        ...(price !== undefined && found.currency ? { value: price, currency: found.currency } : {}),
      },
      'jsonld',
    );
    break;
  }
}
