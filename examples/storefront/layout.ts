/** @module examples/storefront/layout — the page frame every demo page shares: header, search, the Aisle tag. */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { CATEGORIES, CURRENCY, type Product } from './catalog';
import { pictureUrl } from './pictures';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const money = (n: number) => `€${n.toFixed(2)}`;

/** Safe inside a <script> element: no `</script>` can close it early. */
export const jsonScript = (value: unknown) => raw(JSON.stringify(value).replace(/</g, '\\u003c'));

export interface LayoutOptions {
  title: string;
  body: Html;
  /** GA4 dataLayer pushes for this page, made before the (async) Aisle script loads, as real shops do. */
  dataLayer?: unknown[];
  head?: Html;
  query?: string;
  /** What the page's URL says about the tag (tests and demos set them). */
  tag?: {
    /** `?backend=`, handed to the tag as `data-backend` (tests force a backend this way). */
    backend?: string;
    /** `?recs=`: how many recommendations (`data-recommendations`). */
    recommendations?: string;
    /** `?control=`: the share held out of recommendations (`data-control`). */
    control?: string;
    /** The pinned public key (`data-key`), set by the server, never by the URL. */
    key?: string;
    /** `?first=off`: no first page from the edge (`data-first-page`); the demo shop otherwise opts in, key or not. */
    firstPage?: string;
  };
}

const BACKENDS = new Set(['webgpu', 'webgl', 'wasm', 'cpu']);

export function layout({ title, body, dataLayer = [], head, query = '', tag = {} }: LayoutOptions) {
  const { backend, recommendations, control, key, firstPage } = tag;
  const forced = backend && BACKENDS.has(backend) ? backend : undefined;
  const k = recommendations && /^\d{1,2}$/.test(recommendations) ? recommendations : '4';
  const held = control && /^(0|1|0?\.\d+|\d{1,3}%)$/.test(control) ? control : '0';
  return html`<!doctype html>
<html lang="en" data-aisle-currency="${CURRENCY}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Aisle Outfitters</title>
<link rel="icon" href="/demo/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/demo/static/shop.css">
<script>
window.dataLayer = window.dataLayer || [];
${dataLayer.map((entry) => html`dataLayer.push({ ecommerce: null });\ndataLayer.push(${jsonScript(entry)});\n`)}
</script>
<script async src="/aisle.js" data-site="demo" data-recommendations="${k}" data-control="${held}" data-first-page="${firstPage === 'off' ? 'off' : 'on'}"${forced ? html` data-backend="${forced}"` : ''}${key ? html` data-key="${key}"` : ''}></script>
<script defer src="/demo/static/shop.js"></script>
${head ?? ''}
</head>
<body>
<header class="top">
  <a class="logo" href="/demo/">Aisle Outfitters</a>
  <form role="search" action="/demo/search" class="search">
    <label for="q" class="sr-only">Search the shop</label>
    <input id="q" type="search" name="q" placeholder="Search 300 products" value="${query}" autocomplete="off">
    <button type="submit">Search</button>
  </form>
  <a class="cart-link" href="/demo/cart">Cart (<span id="cart-count">0</span>)</a>
</header>
<nav class="cats">${CATEGORIES.map((c) => html`<a href="/demo/c/${c.slug}">${c.name}</a>`)}</nav>
<main>${body}</main>
<footer class="foot">A demo shop for <a href="https://github.com/">Aisle</a>. No real orders, no real payments.</footer>
</body>
</html>`;
}

/** A product card in a list. `data-aisle-item` and friends let Aisle read the list and the click. */
export function card(p: Product) {
  return html`<li class="card" data-aisle-item="${p.id}" data-aisle-name="${p.name}" data-aisle-category="${p.category}" data-aisle-price="${p.price}" data-aisle-brand="${p.brand}">
  <a href="/demo/p/${p.id}" class="card-link">
    <img class="thumb" src="${pictureUrl(p)}" alt="" width="400" height="300" loading="lazy">
    <span class="name">${p.name}</span>
  </a>
  <span class="brand">${p.brand}</span>
  <span class="price">${money(p.price)}</span>${p.inStock ? '' : html`<span class="oos">Out of stock</span>`}
</li>`;
}

export function productList(name: string, products: Product[]) {
  return html`<ul class="grid" data-aisle-list="${name}">${products.map(card)}</ul>`;
}

/** GA4's item shape for a product. */
export const ga4Item = (p: Product, extra: Record<string, unknown> = {}) => ({
  item_id: p.id,
  item_name: p.name,
  item_brand: p.brand,
  item_category: p.category,
  price: p.price,
  ...extra,
});
