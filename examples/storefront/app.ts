/** @module examples/storefront/app — the demo shop `npm start` serves at /demo/: catalogue, product pages, search, cart, checkout. */
import { readFile } from 'node:fs/promises';
import type { App } from '@aisle/edge-server';
import { type Context, Hono } from 'hono';
import { compress } from 'hono/compress';
import { html } from 'hono/html';
import {
  CATEGORIES,
  CURRENCY,
  categoryBySlug,
  PRODUCTS,
  productById,
  productsIn,
  related,
  searchProducts,
} from './catalog';
import { ga4Item, jsonScript, layout, money, productList } from './layout';
import { pictureUrl, productPicture } from './pictures';

const STATIC = new URL('./static/', import.meta.url);
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** What the page's URL says about the tag: `?backend=`, `?recs=`, `?control=`, `?first=` (tests and demos set them). */
export interface StorefrontOptions {
  /** The public key the demo's tag pins (`data-key`): models must be signed by it. */
  key?: string;
}

export function storefrontApp({ key }: StorefrontOptions = {}) {
  const app = new Hono();
  const tagQuery = (c: Context) => ({
    backend: c.req.query('backend'),
    recommendations: c.req.query('recs'),
    control: c.req.query('control'),
    firstPage: c.req.query('first'),
    key,
  });

  app.get('/', (c) => {
    const featured = PRODUCTS.filter((_, i) => i % 25 === 3).slice(0, 12);
    return c.html(
      layout({
        tag: tagQuery(c),
        title: 'Home',
        dataLayer: [
          {
            event: 'view_item_list',
            ecommerce: { item_list_name: 'Featured', items: featured.map((p, i) => ga4Item(p, { index: i })) },
          },
        ],
        body: html`<section class="hero"><h1>Gear for every day</h1><p>${PRODUCTS.length} products in ${CATEGORIES.length} categories.</p></section>
<h2>Featured</h2>${productList('Featured', featured)}
<div class="recs" data-aisle-slot="recommendations" data-aisle-title="Picked for you" data-aisle-currency="EUR"></div>`,
      }),
    );
  });

  app.get('/c/:slug', (c) => {
    const category = categoryBySlug(c.req.param('slug'));
    if (!category)
      return c.html(
        layout({
          tag: tagQuery(c),
          title: 'Not found',
          body: html`<h1>No such category</h1>`,
        }),
        404,
      );
    const products = productsIn(category);
    return c.html(
      layout({
        tag: tagQuery(c),
        title: category.name,
        body: html`<h1>${category.name}</h1><p>${products.length} products</p>${productList(category.name, products)}`,
      }),
    );
  });

  app.get('/p/:id', (c) => {
    const p = productById(c.req.param('id'));
    if (!p)
      return c.html(
        layout({
          tag: tagQuery(c),
          title: 'Not found',
          body: html`<h1>No such product</h1>`,
        }),
        404,
      );
    const jsonLd = {
      '@context': 'https://schema.org',
      '@type': 'Product',
      sku: p.id,
      name: p.name,
      brand: { '@type': 'Brand', name: p.brand },
      category: `Home > ${p.category}`,
      description: p.description,
      image: new URL(pictureUrl(p), c.req.url).href,
      offers: {
        '@type': 'Offer',
        price: p.price.toFixed(2),
        priceCurrency: CURRENCY,
        availability: p.inStock ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock',
      },
    };
    return c.html(
      layout({
        tag: tagQuery(c),
        title: p.name,
        head: html`<script type="application/ld+json">${jsonScript(jsonLd)}</script>`,
        dataLayer: [{ event: 'view_item', ecommerce: { currency: CURRENCY, value: p.price, items: [ga4Item(p)] } }],
        body: html`<article class="product" data-aisle-item="${p.id}" data-aisle-name="${p.name}" data-aisle-category="${p.category}" data-aisle-price="${p.price}" data-aisle-brand="${p.brand}">
  <img class="thumb big" src="${pictureUrl(p)}" alt="${p.name}" width="400" height="300">
  <div class="info">
    <p class="crumbs"><a href="/demo/c/${p.slug}">${p.category}</a></p>
    <h1>${p.name}</h1>
    <p class="brand">${p.brand}</p>
    <p class="price">${money(p.price)}</p>
    <p>${p.description}</p>
    <p class="stock">${p.inStock ? 'In stock, ships in 1–2 days' : 'Out of stock'}</p>
    <label>Quantity <input id="qty" type="number" min="1" max="10" value="1"></label>
    <div class="actions">
      <button id="add" class="primary" data-aisle-action="add_to_cart" ${p.inStock ? '' : 'disabled'}>Add to cart</button>
      <button id="wish" data-aisle-action="add_to_wishlist">Add to wishlist</button>
      <button id="share" data-share-method="link">Share</button>
    </div>
    <div class="rating" role="group" aria-label="Rate this product">
      ${[1, 2, 3, 4, 5].map((n) => html`<button class="star" data-rating="${n}" aria-label="${n} stars">★</button>`)}
    </div>
    <p id="notice" role="status" aria-live="polite"></p>
  </div>
</article>
<script>window.shopProduct = ${jsonScript(ga4Item(p))};</script>
<div class="recs" data-aisle-slot="recommendations" data-aisle-title="Picked for you" data-aisle-currency="EUR"></div>
<h2>You may also like</h2>${productList('Related', related(p))}`,
      }),
    );
  });

  app.get('/search', (c) => {
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const results = searchProducts(q);
    return c.html(
      layout({
        tag: tagQuery(c),
        title: `Search: ${q}`,
        query: q,
        body: html`<h1>Results for “${q}”</h1><p>${results.length} products</p>${
          results.length ? productList('Search results', results.slice(0, 48)) : html`<p>Try another word.</p>`
        }`,
      }),
    );
  });

  app.get('/cart', (c) =>
    c.html(
      layout({
        tag: tagQuery(c),
        title: 'Cart',
        body: html`<h1>Your cart</h1><div id="cart"></div>
<p class="total">Total: <strong id="cart-total">€0.00</strong></p>
<button id="checkout" class="primary">Checkout</button>`,
      }),
    ),
  );

  app.get('/checkout', (c) =>
    c.html(
      layout({
        tag: tagQuery(c),
        title: 'Checkout',
        body: html`<h1>Checkout</h1>
<form id="checkout-form" class="checkout" novalidate>
  <fieldset><legend>Contact</legend>
    <label>Full name <input name="name" autocomplete="name" required></label>
    <label>E-mail <input name="email" type="email" autocomplete="email" required></label>
    <label>Address <input name="address" autocomplete="street-address" required></label>
  </fieldset>
  <fieldset><legend>Payment</legend>
    <label><input type="radio" name="method" value="credit_card" checked> Card</label>
    <label><input type="radio" name="method" value="paypal"> PayPal</label>
    <label>Card number <input name="card" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242"></label>
    <p class="hint">Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.</p>
  </fieldset>
  <p>Order total: <strong id="order-total">€0.00</strong></p>
  <button id="pay" class="primary" type="submit">Pay now</button>
  <p id="payment-error" role="alert"></p>
</form>`,
      }),
    ),
  );

  app.get('/order/:id', (c) =>
    c.html(
      layout({
        tag: tagQuery(c),
        title: 'Thank you',
        body: html`<h1>Thank you for your order</h1><p>Order <strong id="order-id">${c.req.param('id')}</strong> is confirmed.</p><div id="order"></div>
<p><a href="/demo/">Continue shopping</a></p>`,
      }),
    ),
  );

  app.get('/img/:file', (c) => {
    const p = productById(c.req.param('file').replace(/\.svg$/, ''));
    if (!p || !c.req.param('file').endsWith('.svg')) return c.notFound();
    c.header('Content-Type', TYPES.svg);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(productPicture(p));
  });

  app.get('/static/:file', async (c) => {
    const file = c.req.param('file');
    const ext = file.split('.').pop() ?? '';
    if (!/^[a-z-]+\.(js|css|svg)$/.test(file)) return c.notFound();
    const body = await readFile(new URL(file, STATIC), 'utf8').catch(() => null);
    if (body === null) return c.notFound();
    c.header('Content-Type', TYPES[ext]);
    c.header('Cache-Control', 'public, max-age=60');
    return c.body(body);
  });
  return app;
}

/** Puts the demo shop on `app` (the edge server's): `/` leads to it, `/demo/` is it, compressed. */
export function mountDemo(app: App, options: StorefrontOptions = {}): void {
  app.get('/', (c) => c.redirect('/demo/'));
  app.get('/favicon.ico', (c) => c.redirect('/demo/static/favicon.svg', 301));
  app.use('/demo/*', compress());
  app.route('/demo', storefrontApp(options));
}
