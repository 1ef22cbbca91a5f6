/**
 * @module test/bench/peers/snowplow — Snowplow's browser tracker configured to capture what
 * `aisle.js` captures on a shop: page views, time on page and scroll (activity pings), and the
 * GA4 e-commerce events of the page's `dataLayer` (view_item, view_item_list, add_to_cart,
 * remove_from_cart, begin_checkout, purchase), sent in batches to a collector.
 */

import {
  SnowplowEcommercePlugin,
  trackGA4AddToCart,
  trackGA4BeginCheckout,
  trackGA4RemoveFromCart,
  trackGA4Transaction,
  trackGA4ViewItem,
  trackGA4ViewItemList,
} from '@snowplow/browser-plugin-snowplow-ecommerce';
import { enableActivityTracking, newTracker, trackPageView } from '@snowplow/browser-tracker';
import { onDataLayer } from './datalayer';

const script = document.currentScript as HTMLScriptElement | null;
newTracker('sp', script?.dataset.collector ?? location.origin, {
  appId: 'bench',
  plugins: [SnowplowEcommercePlugin()],
  bufferSize: 5,
});
enableActivityTracking({ minimumVisitLength: 10, heartbeatDelay: 10 });
trackPageView();
onDataLayer(({ event, ecommerce }) => {
  // GA4's own event objects, as the plugin reads them.
  const ga4 = { currency: 'EUR', ...(ecommerce ?? {}) } as unknown as Parameters<typeof trackGA4ViewItemList>[0] &
    Parameters<typeof trackGA4AddToCart>[0];
  const total = { finalCartValue: Number(ecommerce?.value ?? 0) };
  if (event === 'view_item') trackGA4ViewItem(ga4);
  else if (event === 'view_item_list') trackGA4ViewItemList(ga4);
  else if (event === 'add_to_cart') trackGA4AddToCart(ga4, total);
  else if (event === 'remove_from_cart') trackGA4RemoveFromCart(ga4, total);
  else if (event === 'begin_checkout') trackGA4BeginCheckout({ step: 1 });
  else if (event === 'purchase')
    trackGA4Transaction(ga4 as unknown as Parameters<typeof trackGA4Transaction>[0], { paymentMethod: 'card' });
});

/** The bundle's global says it ran (the main-thread benchmark checks it). */
export const ran = true;
