/**
 * @module test/bench/peers/posthog — posthog-js configured to capture what `aisle.js` captures on a
 * shop: page views and page leaves, clicks and form submissions (autocapture), and the GA4
 * e-commerce events of the page's `dataLayer` as events of their own, sent in batches to the
 * project's host.
 */
import posthog from 'posthog-js';
import { onDataLayer } from './datalayer';

const script = document.currentScript as HTMLScriptElement | null;
posthog.init('phc_bench', {
  api_host: script?.dataset.collector ?? location.origin,
  autocapture: true,
  capture_pageview: true,
  capture_pageleave: true,
  disable_session_recording: true,
  advanced_disable_decide: true,
  persistence: 'localStorage',
});
onDataLayer(({ event, ecommerce }) => {
  if (event) posthog.capture(event, { ...(ecommerce ?? {}) });
});

/** The bundle's global says it ran (the main-thread benchmark checks it). */
export const ran = true;
