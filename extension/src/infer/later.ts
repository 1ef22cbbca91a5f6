/**
 * @module infer/later — what the small script keeps of on-device inference: the page's events
 * since it started, and, once the page is idle and the shopper consents to personalisation, the
 * loading of `aisle-recs.js` (the client that starts the inference worker and draws the widget:
 * `./client`), to which it hands them. A page that never gets that far never pays for it.
 */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type { Tracker } from '../capture/types';
import { loadScript } from '../core/load-script';
import type { InferClient, InferClientConfig, startInference } from './client';
import type { InferStatus } from './protocol';

/** What `aisle-recs.js` leaves on the page's global object once it has run. */
export interface RecsScript {
  startInference: typeof startInference;
}

export function startInferenceLater(
  tracker: Tracker,
  config: InferClientConfig & { recsUrl: string },
  fire: (name: string, payload: unknown) => void,
): { status(): Partial<InferStatus> } {
  const { win, doc, log } = tracker.context;
  const early: AisleEvent[] = [];
  const off = tracker.on('event', (e) => {
    early.push(e as AisleEvent);
    if (early.length > 500) early.shift();
  });
  let client: InferClient | undefined;
  let loading = false;
  const load = () => {
    if (loading) return;
    loading = true;
    loadScript<RecsScript>(config.recsUrl, '__aisleRecs')
      .then(async (recs) => {
        // Consent may have been withdrawn while the script loaded: the events keep being kept until it is given again.
        if (!(await tracker.consent()).personalization) {
          loading = false;
          return;
        }
        off();
        client = recs.startInference(tracker, config, fire, early.splice(0));
      })
      // Never an unhandled rejection on the merchant's page, whatever went wrong.
      .catch((cause) => log.log('warn', 'no recommendations', cause));
  };
  // Only after the page is up, and only with consent to personalise from the shopper's history.
  const begin = async () => {
    if ((await tracker.consent()).personalization) load();
  };
  tracker.on('consent', (c) => {
    if ((c as { personalization?: boolean }).personalization) load();
  });
  const whenIdle = () =>
    win.requestIdleCallback
      ? win.requestIdleCallback(() => void begin(), { timeout: 3000 })
      : win.setTimeout(() => void begin(), 200);
  if (doc.readyState === 'complete') whenIdle();
  else win.addEventListener('load', whenIdle, { once: true });
  return { status: () => client?.status() ?? { backend: null, models: {} } };
}
