/** @module capture/attributes — events from `data-aisle-*` markup: the product element, lists, item clicks and action buttons. */
import { LIMITS } from '@aisle/shared-models/schema/constants';
import type { AisleItem } from '@aisle/shared-models/schema/event';
import { truncateText } from '@aisle/shared-models/schema/text';
import type { CaptureContext, Collector } from './context';
import { imageOf, toFields, toItem } from './normalize';

/** Actions a button may declare with `data-aisle-action`. */
export const ACTIONS = new Set([
  'add_to_cart',
  'remove_from_cart',
  'add_to_wishlist',
  'begin_checkout',
  'add_payment_info',
  'purchase',
  'like',
  'share',
]);

const ITEM = '[data-aisle-item]';
const LIST = '[data-aisle-list]';
/** Most item lists show a page of results; more adds bytes but no signal. */
const MAX_LIST_ITEMS = 50;

const attr = (el: Element, name: string) => el.getAttribute(`data-aisle-${name}`) ?? undefined;

/**
 * The picture a product element shows: its `data-aisle-image`, else the first `<img>` inside it
 * (the source the browser chose), resolved against the page.
 */
function imageIn(el: Element): string | undefined {
  const base = el.ownerDocument.baseURI;
  const declared = attr(el, 'image');
  if (declared !== undefined) return imageOf(declared, base);
  const img = el.querySelector('img');
  // The source the browser chose, else its own, else a lazy loader's (`data-src`, while `src` is a placeholder).
  for (const src of [img?.currentSrc, img?.getAttribute('src'), img?.getAttribute('data-src')]) {
    const url = imageOf(src, base);
    if (url) return url;
  }
  return undefined;
}

/** The item an element describes through `data-aisle-item`, `-name`, `-category`, `-price`, `-brand`, `-variant`, `-image` (or its `<img>`). */
export function itemFromElement(el: Element): AisleItem | null {
  return toItem({
    item_image: imageIn(el),
    item_id: attr(el, 'item'),
    item_name: attr(el, 'name'),
    item_category: attr(el, 'category'),
    item_brand: attr(el, 'brand'),
    item_variant: attr(el, 'variant'),
    price: attr(el, 'price'),
    quantity: attr(el, 'quantity'),
  });
}

const inList = (el: Element) => el.closest(LIST);
const isLink = (el: Element) => el.tagName === 'A' || !!el.closest('a');

/** The page's own product: a `data-aisle-item` element that is neither in a list nor a link. */
function productElement(doc: Document): Element | undefined {
  for (const el of doc.querySelectorAll(ITEM)) {
    if (!inList(el) && !isLink(el) && !el.hasAttribute('data-aisle-action')) return el;
  }
  return undefined;
}

function listItems(list: Element): AisleItem[] {
  const name = list.getAttribute('data-aisle-list') || undefined;
  const items: AisleItem[] = [];
  for (const el of list.querySelectorAll(ITEM)) {
    const item = itemFromElement(el);
    if (!item) continue;
    item.index = items.length;
    if (name) item.item_list_name = truncateText(name, LIMITS.name);
    items.push(item);
    if (items.length >= MAX_LIST_ITEMS) break;
  }
  return items;
}

function actionFields(ctx: CaptureContext, el: Element) {
  const holder = el.closest(ITEM);
  const item = (holder && itemFromElement(holder)) || ctx.pageItem();
  const fields = toFields(
    {
      value: attr(el, 'value'),
      currency: attr(el, 'currency'),
      transaction_id: attr(el, 'transaction-id'),
      payment_type: attr(el, 'payment-type'),
      method: attr(el, 'method'),
    },
    false,
  );
  if (item) {
    const quantity = attr(el, 'quantity');
    fields.items = [{ ...item, ...(quantity ? { quantity: Math.max(0, Math.round(Number(quantity)) || 1) } : {}) }];
    if (fields.value === undefined && item.price !== undefined)
      fields.value = item.price * (fields.items[0].quantity ?? 1);
  }
  const currency = fields.currency ?? ctx.doc.documentElement.getAttribute('data-aisle-currency');
  if (fields.value !== undefined && currency) fields.currency = currency;
  else if (!fields.currency) delete fields.value;
  return fields;
}

/** Finds the page's product element and the item lists; emits `view_item` now and `view_item_list` as lists come into view. */
export function scanAttributes(ctx: CaptureContext): () => void {
  const { doc, win } = ctx;
  const product = productElement(doc);
  const item = product && itemFromElement(product);
  if (item) {
    ctx.setPageItem(item);
    ctx.emit('view_item', { items: [item] });
  }

  const viewList = (list: Element) => {
    const items = listItems(list);
    if (items.length) ctx.emit('view_item_list', { items, item_list_name: items[0].item_list_name });
  };
  let observer: IntersectionObserver | undefined;
  const lists = doc.querySelectorAll(LIST);
  if (lists.length && 'IntersectionObserver' in win) {
    // A list counts as seen once a tenth of it is on screen, not when it merely exists below the fold.
    observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          observer?.unobserve(entry.target);
          viewList(entry.target);
        }
      },
      { threshold: 0.1 },
    );
    for (const list of lists) observer.observe(list);
  } else lists.forEach(viewList);
  return () => observer?.disconnect();
}

/** `select_item` for clicks on listed or linked items, and the events that `data-aisle-action` buttons declare. */
export const attributeClicksCollector: Collector = (ctx) => {
  const { doc, win } = ctx;
  const onClick = (ev: Event) => {
    const target = ev.target;
    if (!(target instanceof Element)) return;
    const action = target.closest('[data-aisle-action]');
    if (action) {
      const type = action.getAttribute('data-aisle-action') ?? '';
      if (!ACTIONS.has(type)) return;
      const fields = actionFields(ctx, action);
      // After the click has reached the merchant's own handlers: a dataLayer push they make for the
      // same action is richer and wins, and this one is then dropped as its duplicate.
      win.setTimeout(() => ctx.emit(type, fields), 0);
      return;
    }
    const el = target.closest(ITEM);
    if (!el) return;
    const list = inList(el);
    if (!list && !isLink(el)) return;
    const clicked = itemFromElement(el);
    if (!clicked) return;
    const name = list?.getAttribute('data-aisle-list') || undefined;
    if (list) clicked.index = Array.prototype.indexOf.call(list.querySelectorAll(ITEM), el);
    if (name) clicked.item_list_name = truncateText(name, LIMITS.name);
    ctx.emit('select_item', { items: [clicked], item_list_name: clicked.item_list_name });
  };
  doc.addEventListener('click', onClick, { capture: true, passive: true });
  return () => doc.removeEventListener('click', onClick, { capture: true });
};
