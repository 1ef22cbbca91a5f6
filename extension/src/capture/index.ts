/** @module capture — turns what a page says and does into events, under the shopper's consent. */
export { type Consent, type ConsentMode, type ConsentState, resolveConsent } from './consent';
export { startCapture } from './start';
export { createTracker } from './tracker';
export type { Listener, Status, Tracker, TrackerConfig, TrackerDeps } from './types';
