/**
 * @module infer/widget — recommendations rendered into `[data-aisle-slot="recommendations"]`,
 * inside an open Shadow DOM so the shop's CSS and ours never meet. The merchant styles it with CSS
 * custom properties on the slot (`--aisle-columns`, `--aisle-gap`, `--aisle-font`, `--aisle-accent`,
 * `--aisle-muted`, `--aisle-radius`, `--aisle-border`, `--aisle-image-ratio`, `--aisle-image-bg`) and
 * reserves its height, so nothing moves. Each card shows the product's picture where the shop
 * publishes one (the catalogue's `image`, or the picture its pages showed this shopper).
 */
import type { RecommendResult } from './protocol';

const STYLE = `
:host { display: block; font: var(--aisle-font, inherit); color: inherit; }
h2 { font-size: 1em; margin: 0 0 .5em; }
ul { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--aisle-gap, 12px);
  grid-template-columns: repeat(var(--aisle-columns, 4), minmax(0, 1fr)); }
li { border: var(--aisle-border, 1px solid #ddd); border-radius: var(--aisle-radius, 6px); padding: .6em; min-width: 0; }
a { color: var(--aisle-accent, inherit); text-decoration: none; font-weight: 600; display: block;
  overflow-wrap: anywhere; }
.pic { display: block; width: 100%; aspect-ratio: var(--aisle-image-ratio, 1); object-fit: cover;
  border-radius: calc(var(--aisle-radius, 6px) * .67); background: var(--aisle-image-bg, #f2f2f2); margin-bottom: .5em; }
img.pic.broken { visibility: hidden; }
a:focus-visible { outline: 2px solid var(--aisle-accent, currentColor); outline-offset: 2px; }
.price { display: block; margin-top: .2em; }
.why { display: block; margin-top: .2em; font-size: .85em; color: var(--aisle-muted, #666); }
`;

export interface WidgetOptions {
  title: string;
  currency?: string;
  /** A product's page, from its id (the catalogue's `url`, else the slot's `data-aisle-href` template). */
  href(itemId: string, url?: string): string | undefined;
  onClick(itemId: string, position: number): void;
}

/**
 * `href` as a link the widget may show: an http(s) page of the shop's own origin, resolved against
 * the page; undefined for anything else (`javascript:`, `data:`, another site), whoever wrote it.
 */
export function shopLink(href: string | undefined, page: { href: string; origin: string }): string | undefined {
  if (!href) return undefined;
  try {
    const url = new URL(href, page.href);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === page.origin ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A picture the widget may show: an http(s) address resolved against the page, of any origin (shops
 * serve pictures from their CDN); undefined for anything else (`javascript:`, `data:`, garbage).
 */
export function pictureLink(src: string | undefined, page: { href: string }): string | undefined {
  if (!src) return undefined;
  try {
    const url = new URL(src, page.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const text = (doc: Document, tag: string, content: string, className?: string) => {
  const el = doc.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
};

export function renderRecommendations(slot: Element, result: RecommendResult, options: WidgetOptions): void {
  const doc = slot.ownerDocument;
  const root = slot.shadowRoot ?? slot.attachShadow({ mode: 'open' });
  const section = doc.createElement('section');
  section.setAttribute('aria-label', options.title);
  section.append(text(doc, 'style', STYLE), text(doc, 'h2', options.title));
  const list = doc.createElement('ul');
  const pictures = result.items.map((item) => pictureLink(item.image, doc.location));
  // Where any card has a picture, every card keeps its picture's place: the row stays level.
  const withPictures = pictures.some(Boolean);
  result.items.forEach((item, position) => {
    const li = doc.createElement('li');
    li.setAttribute('data-aisle-item', item.item_id);
    const link = doc.createElement('a');
    const picture = pictures[position];
    if (picture) {
      const img = doc.createElement('img');
      img.className = 'pic';
      img.alt = '';
      img.loading = 'lazy';
      img.decoding = 'async';
      img.addEventListener('error', () => img.classList.add('broken'));
      img.src = picture;
      link.append(img);
    } else if (withPictures) link.append(text(doc, 'span', '', 'pic'));
    link.append(text(doc, 'span', item.item_name ?? item.item_id, 'name'));
    const href = shopLink(options.href(item.item_id, item.url), doc.location);
    if (href) link.setAttribute('href', href);
    link.setAttribute('data-aisle-item', item.item_id);
    link.addEventListener('click', () => options.onClick(item.item_id, position));
    li.append(link);
    if (item.price !== undefined) {
      const price = options.currency
        ? new Intl.NumberFormat(doc.documentElement.lang || undefined, {
            style: 'currency',
            currency: options.currency,
          }).format(item.price)
        : String(item.price);
      li.append(text(doc, 'span', price, 'price'));
    }
    li.append(text(doc, 'span', item.reason, 'why'));
    // Which signal picked it, for the merchant's styling and tools (the reason says it in words).
    if (item.signal) li.setAttribute('data-aisle-signal', item.signal);
    list.append(li);
  });
  section.append(list);
  root.replaceChildren(section);
}
