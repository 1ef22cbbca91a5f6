/**
 * @module infer/later — what the small script keeps of on-device inference: the page's events
 * since it started, and, once the page is idle and the shopper consents to personalisation, the
 * loading of `aisle-recs.js` (the client that starts the inference worker and draws the widget:
 * `./client`), to which it hands them. A page that never gets that far never pays for it.
 *
 * A first visit (no shopper database in this browser yet) to a product page with a recommendations
 * slot does not wait for the device's models (a megabyte for a 10k-item shop: seconds on a phone's
 * network): once the page is parsed and the stored consent read, the edge is asked what the device's
 * own code shows for that product alone (`GET /v1/models/recommender/first-page`: the site, the
 * product on screen as the page gives it and the tag's settings — nothing of the shopper, no cookie,
 * no referrer, the same request for everyone on that page) and `aisle-recs.js` loads at once to draw
 * it; the worker and its models follow (`./client`). Only with consent to personalisation and to
 * analytics (it leaves the device); unsigned, so only where the tag pins no key or says
 * `data-first-page="on"`, never where it says `off`.
 */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type { Tracker } from '../capture/types';
import { loadScript } from '../core/load-script';
import { DB_NAME } from '../store/name';
import type { InferClient, InferClientConfig, startInference } from './client';
import type { FirstPageRequest } from './first-page';
import type { InferStatus } from './protocol';

/** What `aisle-recs.js` leaves on the page's global object once it has run. */
export interface RecsScript {
  startInference: typeof startInference;
}

/** How long a first page waits for the edge; the device's own worker starts meanwhile (`./client`). */
const FIRST_PAGE_WAIT_MS = 5000;
export function startInferenceLater(
  tracker: Tracker,
  config: InferClientConfig & { recsUrl: string; firstPage?: boolean },
  fire: (name: string, payload: unknown) => void,
): { status(): Partial<InferStatus> } {
  const { win, doc, log } = tracker.context;
  const startedAt = Date.now();
  const asking = config.firstPage === true && !config.port;
  // Asked at once, while the sync script that opens the database has not even been fetched; an
  // answer that does not come within a second (or a browser that throws for storage) is "unknown".
  const dbBefore: Promise<boolean | undefined> = asking
    ? new Promise((resolve) => {
        win.setTimeout(() => resolve(undefined), 1000);
        try {
          const idb = win.indexedDB as IDBFactory & { databases?: () => Promise<{ name?: string }[]> };
          if (typeof idb?.databases !== 'function') resolve(undefined);
          else
            idb.databases().then(
              (all) => resolve(all.some((d) => d.name === DB_NAME)),
              () => resolve(undefined),
            );
        } catch {
          resolve(undefined);
        }
      })
    : Promise.resolve(undefined);
  const early: AisleEvent[] = [];
  const off = tracker.on('event', (e) => {
    early.push(e as AisleEvent);
    if (early.length > 500) early.shift();
  });
  let client: InferClient | undefined;
  let loading = false;
  let firstPage: FirstPageRequest | undefined;
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
        client = recs.startInference(tracker, config, fire, early.splice(0), firstPage);
      })
      // Never an unhandled rejection on the merchant's page, whatever went wrong.
      .catch((cause) => log.log('warn', 'no recommendations', cause));
  };
  // Only after the page is up, and only with consent to personalise from the shopper's history.
  // Where a first page may be asked for, not before that is decided: it hands its answer to the client.
  let decided: () => void = () => {};
  const firstPageDecided = asking ? new Promise<void>((resolve) => (decided = resolve)) : Promise.resolve();
  const begin = async () => {
    await Promise.race([firstPageDecided, new Promise((r) => win.setTimeout(r, 3000))]);
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

  /**
   * Whether this browser holds nothing of the shop yet: no shopper database, or, where the browser
   * cannot list its databases, nothing stored from before this page. A database from an earlier
   * visit means history, and likely models, here.
   */
  const firstVisit = async () => {
    const listed = await dbBefore;
    if (listed !== undefined) return !listed;
    return !(await tracker.history(50)).some((e) => e.ts < startedAt);
  };

  /** A first visit's product page with a slot: the edge's answer for it, and the client loaded now to draw it. */
  const askFirstPage = async () => {
    try {
      await askFirstPageNow();
    } finally {
      decided();
    }
  };
  const askFirstPageNow = async () => {
    if (!asking || loading) return;
    if (!doc.querySelector('[data-aisle-slot="recommendations"]')) return;
    const consent = await tracker.consent();
    if (!consent.personalization || !consent.analytics) return;
    // The page's product as its `view_item` says, and what the page says of it (the device reads the same).
    let seen: NonNullable<AisleEvent['items']>[number] | undefined;
    let control = false;
    for (const e of early) {
      if (e.type === 'view_item' && e.items?.[0]?.item_id) seen = e.items[0];
      control = e.group === 'control';
    }
    // Loading already (the idle start gave up waiting, or consent came): no answer would be drawn.
    if (!seen || control || !(await firstVisit()) || loading) return;
    const fits = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
    const query = new URLSearchParams({ item: seen.item_id, k: String(config.k) });
    if (config.perCategory) query.set('per_category', String(config.perCategory));
    if (fits(seen.item_category)) query.set('category', seen.item_category);
    if (fits(seen.item_name)) query.set('name', seen.item_name);
    if (config.key) query.set('signed', '1');
    if (config.site) query.set('site', config.site);
    // Only sent here, as early as it can leave; `aisle-recs.js` reads and checks the answer (`./first-page`).
    firstPage = {
      item: seen.item_id,
      askedAt: win.performance.now(),
      response: fetch(`${config.endpoint}/v1/models/recommender/first-page?${query}`, {
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        signal: AbortSignal.timeout(FIRST_PAGE_WAIT_MS),
      }).catch(() => undefined),
    };
    load();
  };
  const whenParsed = () => win.setTimeout(() => void askFirstPage().catch(() => {}), 0);
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', whenParsed, { once: true });
  else whenParsed();
  return { status: () => client?.status() ?? { backend: null, models: {} } };
}
