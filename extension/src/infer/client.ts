/**
 * @module infer/client — the page's side of on-device inference, in `aisle-recs.js` (which the tag
 * loads once the page is idle, and only with personalisation consent: `./later`): starts the
 * inference worker, asks it for recommendations after every meaningful event and for a risk score
 * after every event, renders the widget, and reports to the merchant (`aisle.on('recommendations' |
 * 'risk')`) and the server (`rec_impression`, `rec_click`, `risk_flag`).
 */

import { inCart } from '@aisle/shared-models/models/recommender/serve';
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { NOT_SHOPPER_ACTIONS } from '@aisle/shared-models/schema/interaction';
import type { Tracker } from '../capture/types';
import { bucketOf } from '../core/ids';
import { type RpcClient, rpcClient } from '../rpc/client';
import type { RpcChannel, RpcReply, RpcRequest } from '../rpc/protocol';
import { spawnWorker } from '../rpc/spawn';
import { type FirstPageRequest, readFirstPage } from './first-page';
import type { BackendName, HistoryEvent, InferApi, InferConfig, InferStatus, RecommendResult } from './protocol';
import { pictureLink, renderRecommendations, shopLink } from './widget';

export interface InferClientConfig {
  endpoint: string;
  /** URL of aisle-infer.js. */
  scriptUrl: string;
  backend?: BackendName;
  /** How many recommendations (data-recommendations, default 4). */
  k: number;
  perCategory?: number;
  riskThreshold?: number;
  /** The site key, and the public key models must be signed by (`data-key`). */
  site?: string;
  key?: string;
  /** A port to the shopper's Aisle extension, whose one inference host serves every tab; else a worker of this page's. */
  port?: Promise<MessagePort | undefined>;
}

/** Recommendations and risk checks start at least this far apart (a burst of events costs one per gap). */
const PACE_MS = 250;

/** How long the worker waits for the edge's first page before starting anyway. */
const FIRST_PAGE_GRACE_MS = 2000;

/** How many of the shopper's newest stored events the models read. */
const HISTORY_LIMIT = 300;

/** Events after which recommendations are worth refreshing. */
const MEANINGFUL = new Set([
  'view_item',
  'add_to_cart',
  'remove_from_cart',
  'search',
  'select_item',
  'purchase',
  'add_to_wishlist',
  'view_item_list',
]);

/** A list's category when most of what it shows (three in five) is of one: a category page's. */
export function listCategory(items: readonly { item_category?: string }[] | undefined): string | undefined {
  const counts = new Map<string, number>();
  for (const i of items ?? []) if (i.item_category) counts.set(i.item_category, (counts.get(i.item_category) ?? 0) + 1);
  const [top] = [...counts].sort((a, b) => b[1] - a[1]);
  return top && items && top[1] >= 0.6 * items.length ? top[0] : undefined;
}

const toHistory = (e: AisleEvent): HistoryEvent => ({
  type: e.type,
  ts: e.ts,
  session_id: e.session_id,
  items: e.items,
});

export interface InferClient {
  status(): Partial<InferStatus>;
}

/**
 * `early`: the page's events from before this script loaded, oldest first. `firstPage`: on a first
 * visit, the edge's answer for the product on screen (`./later`), drawn unless the device's own came
 * first; the worker starts after it (or two seconds) once the page is idle, and its first list
 * replaces the edge's at the next meaningful event (the same page's list twice would only make the
 * row jump).
 */
export function startInference(
  tracker: Tracker,
  config: InferClientConfig,
  fire: (name: string, payload: unknown) => void,
  early: readonly AisleEvent[] = [],
  firstPage?: FirstPageRequest,
): InferClient {
  const { win, doc, log } = tracker.context;
  let status: Partial<InferStatus> = { backend: null, models: {} };
  let rpc: RpcClient<InferApi> | undefined;
  const pageEvents: AisleEvent[] = [];
  let scheduled = false;
  let flaggedSession: string | undefined;
  let lastShown = '';
  let currentItem: string | undefined;
  let contextCategory: string | undefined;
  // The tracker stamps every event with the shopper's group; the control group gets no recommendations.
  let control = false;
  let anonymousId: string | undefined;

  let connecting = false;
  let usingOwnWorker = false;
  async function connect() {
    if (rpc || connecting) return;
    connecting = true;
    let channel: RpcChannel<RpcReply, RpcRequest>;
    const port = await config.port;
    try {
      if (port) {
        port.start();
        channel = port as unknown as RpcChannel<RpcReply, RpcRequest>;
      } else {
        usingOwnWorker = true;
        const spawned = spawnWorker(config.scriptUrl, 'aisle-infer', { module: true });
        spawned.failed.then((why) => {
          log.log('warn', `${why}; no recommendations`);
          client.fail(why);
        });
        // Once started, a worker that dies later fails the calls still waiting on it.
        spawned.worker.addEventListener('error', (ev) => {
          ev.preventDefault();
          client.fail('inference worker failed');
        });
        started = spawned.started;
        channel = spawned.worker as unknown as RpcChannel<RpcReply, RpcRequest>;
      }
    } catch (cause) {
      log.log('warn', 'the inference worker could not start; no recommendations', cause);
      return;
    }
    const client = rpcClient<InferApi>(channel);
    // Started once its script runs: the start timeout is for loading the script, not for downloading
    // the models, which on a slow network takes longer than any such timeout.
    client.call('ping').then(
      () => started(),
      () => {},
    );
    const init: InferConfig = {
      endpoint: config.endpoint,
      backend: config.backend,
      riskThreshold: config.riskThreshold,
      webdriver: !!win.navigator.webdriver,
      site: config.site,
      key: config.key,
      // Canary channels reach a share of shoppers by the same stable hash as the control group.
      bucket: anonymousId ? Math.floor(bucketOf(anonymousId) * 100) : undefined,
    };
    client.call('init', init).then(
      (s) => {
        started();
        rpc = client;
        status = { ...s, calibration: status.calibration };
        const missing = s.backendChoice?.unavailable;
        if (missing?.length)
          log.log('debug', `backends this device cannot start: ${missing.join(', ')}; on ${s.backend}`);
        fire('inference', s);
        // The edge's first page was this page's first recommendations: the calibration follows them as it would the device's.
        if (edgeShownAt !== undefined) calibrateLater();
        schedule();
        void assessRisk();
      },
      (cause) => log.log('warn', 'inference could not start', cause),
    );
  }
  let started = () => {};

  /**
   * The history stored before this page, read once: every later event of the page reaches
   * `onEvent` (reading IndexedDB after each one was most of the tag's main-thread time per event;
   * another tab's events of the same time come in on the next page). Let go when the shopper erases
   * their data or withdraws personalisation.
   */
  let stored: Promise<AisleEvent[]> | undefined;
  const forget = () => {
    stored = undefined;
    pageEvents.length = 0;
  };
  tracker.on('erased', forget);
  tracker.on('consent', (c) => {
    if (!(c as { personalization?: boolean }).personalization) forget();
  });

  /** The shopper's history (stored and this page's newest), oldest first, the latest `HISTORY_LIMIT`. */
  async function history(): Promise<HistoryEvent[]> {
    stored ??= tracker.history(HISTORY_LIMIT);
    const before = await stored;
    const ids = new Set(before.map((e) => e.event_id));
    // The store answers newest first: oldest first before the stable sort, so that events of the
    // same millisecond (a dataLayer batch) keep the order they happened in.
    const all = [...[...before].reverse(), ...pageEvents.filter((e) => !ids.has(e.event_id))].filter(
      (e) => !NOT_SHOPPER_ACTIONS.has(e.type),
    );
    return all
      .sort((a, b) => a.ts - b.ts)
      .slice(-HISTORY_LIMIT)
      .map(toHistory);
  }

  /** Meaningful events seen, and how many there were when the edge's first page was drawn. */
  let meaningful = 0;
  let edgeShownAt: number | undefined;

  function schedule() {
    if (scheduled || !rpc || control) return;
    // The edge's first page is on screen and nothing happened since: the device's list waits for the next event.
    if (edgeShownAt === meaningful) return;
    scheduled = true;
    // After the frame the event's own work lands in: the refresh never competes with it.
    const later = win.requestIdleCallback ?? ((fn: () => void) => win.setTimeout(fn, 1));
    later(() => {
      scheduled = false;
      void refresh();
    });
  }

  // One refresh at a time (two in flight could answer out of order and show the older history's
  // list), at most four a second: no shopper reads a row that changes faster.
  const refresh = oneAtATime(() => refreshNow(), PACE_MS);

  async function refreshNow() {
    if (!rpc) return;
    try {
      const past = await history();
      // A head model asks the edge about the product on screen only where analytics consent lets anything leave.
      const { analytics } = await tracker.consent();
      const result = await rpc.call('recommend', past, {
        askEdge: analytics,
        k: config.k,
        perCategory: config.perCategory,
        // Never the product on screen, nor one already in the cart (the serving code leaves out what was bought).
        exclude: [...(currentItem ? [currentItem] : []), ...inCart(past)],
        categories: undefined,
        // The page counts: most picks relate to its product, or come from its category.
        item: currentItem,
        context: contextCategory,
      });
      served(result);
      show(result);
    } catch (cause) {
      log.log('warn', 'recommendations failed', cause);
    }
  }

  /** Draws a result in the page's slots, tells the merchant's code, and reports the impression. */
  function show(result: RecommendResult) {
    // A catalogue link leaves the worker only as a page of this shop (the merchant's own code may follow it).
    for (const item of result.items) {
      const url = shopLink(item.url, win.location);
      if (url) item.url = url;
      else delete item.url;
      const image = pictureLink(item.image, win.location);
      // The edge's unsigned first page: pictures of the shop's own origin only (no other server learns who opened it).
      if (image && (result.backend !== 'edge' || new URL(image).origin === win.location.origin)) item.image = image;
      else delete item.image;
    }
    const shown = result.items.map((i) => i.item_id).join(',');
    fire('recommendations', result);
    const slots = doc.querySelectorAll('[data-aisle-slot="recommendations"]');
    if (!slots.length || shown === lastShown) return;
    lastShown = shown;
    for (const slot of slots) {
      const template = (slot as HTMLElement).dataset.aisleHref;
      renderRecommendations(slot, result, {
        title: (slot as HTMLElement).dataset.aisleTitle || 'Recommended for you',
        currency: (slot as HTMLElement).dataset.aisleCurrency,
        href: (id, url) => url ?? (template ? template.replace('{id}', encodeURIComponent(id)) : undefined),
        onClick: (id, position) =>
          tracker.track('rec_click', {
            items: [{ item_id: id, index: position }],
            model_version: result.model_version,
            backend: result.backend,
          }),
      });
    }
    calibrateLater();
    tracker.track('rec_impression', {
      items: result.items.map((i, index) => ({ item_id: i.item_id, index })),
      model_version: result.model_version,
      backend: result.backend,
      cold: result.cold,
    });
  }

  /**
   * A first visit serves from wasm (or CPU) at once; once its first recommendations are drawn and
   * the page is idle, a worker of its own times every backend and remembers the fastest for the
   * next page, then goes. (The extension's host is one for every store: it keeps its first choice.)
   */
  let calibrating = false;
  function calibrateLater() {
    if (calibrating || status.backendChoice?.how !== 'first-visit' || !usingOwnWorker) return;
    calibrating = true;
    const later = win.requestIdleCallback ?? ((fn: () => void) => win.setTimeout(fn, 1));
    later(() => {
      // Its start and its work are one call: it gets as long as a slow phone takes for both.
      const spawned = spawnWorker(config.scriptUrl, 'aisle-calibrate', { module: true, timeoutMs: 120_000 });
      const done = () => spawned.worker.terminate();
      const calibrator = rpcClient<InferApi>(spawned.worker as unknown as RpcChannel<RpcReply, RpcRequest>);
      spawned.failed.then((why) => {
        calibrator.fail(why);
        done();
      });
      calibrator
        .call('calibrate', { endpoint: config.endpoint })
        .then(
          (choice) => {
            status = { ...status, calibration: { backend: choice.backend, timings: choice.timings } };
            log.log('debug', `calibrated: ${choice.backend} for the next page`);
          },
          (cause) => log.log('debug', 'calibration failed; the next page starts on wasm again', cause),
        )
        .finally(() => {
          spawned.started();
          done();
        });
    });
  }

  /**
   * Keeps `aisle.status()` saying what is serving: a result from another backend than the one
   * reported (the engine fell back and rebuilt its models) refreshes the whole status.
   */
  function served(result: { ms: number; backend?: BackendName | 'edge' | null }) {
    status = { ...status, lastInferenceMs: result.ms };
    if (!rpc || result.backend === undefined || result.backend === status.backend) return;
    rpc.call('status').then(
      (s) => {
        status = { ...s, lastInferenceMs: result.ms, calibration: status.calibration };
      },
      () => {},
    );
  }

  /**
   * One risk check at a time, covering every event that came while it ran: a burst of events (a
   * script, a dataLayer replay) costs one check after it, not one per event.
   */
  const assessRisk = oneAtATime(() => assessRiskNow(), PACE_MS);

  async function assessRiskNow() {
    const last = pageEvents[pageEvents.length - 1];
    if (!rpc || !last) return;
    try {
      const session = (await history()).filter((e) => e.session_id === last.session_id);
      const result = await rpc.call('risk', session);
      served(result);
      if (!result.flagged || flaggedSession === last.session_id) return;
      flaggedSession = last.session_id;
      // Each page of a flagged session tells the merchant's code (a checkout can step up), but the
      // flag is sent once per session: the device keeps which session it last flagged.
      fire('risk', result);
      if (!(await tracker.firstFlag(last.session_id))) return;
      tracker.track('risk_flag', {
        score: result.score,
        model_version: result.model_version,
        reasons: result.reasons.map((r) => r.feature).join(', '),
      });
    } catch (cause) {
      log.log('warn', 'risk check failed', cause);
    }
  }

  function onEvent(e: AisleEvent) {
    if (NOT_SHOPPER_ACTIONS.has(e.type)) return;
    pageEvents.push(e);
    if (pageEvents.length > 500) pageEvents.shift();
    anonymousId = e.anonymous_id || anonymousId;
    control = e.group === 'control';
    // A new page of a single-page shop: its context is its own.
    if (e.type === 'page_view') {
      currentItem = undefined;
      contextCategory = undefined;
    }
    if (e.type === 'view_item' && e.items?.[0]) {
      currentItem = e.items[0].item_id;
      contextCategory = e.items[0].item_category ?? contextCategory;
    } else if (e.type === 'view_item_list' && !currentItem) contextCategory = listCategory(e.items) ?? contextCategory;
    if (MEANINGFUL.has(e.type)) {
      meaningful++;
      schedule();
    }
    void assessRisk();
  }
  for (const e of early) onEvent(e);
  tracker.on('event', (payload) => onEvent(payload as AisleEvent));
  if (firstPage) {
    const answer = readFirstPage(firstPage, config.k, () => win.performance.now());
    answer
      // Drawn in a task of its own, not in the one that started this client (a long task on a slow phone).
      .then((result) => new Promise<typeof result>((resolve) => win.setTimeout(() => resolve(result), 0)))
      .then((result) => {
        // Only while nothing of the device's own is drawn and the page still shows that product.
        if (!result || lastShown || control || currentItem !== firstPage.item) return;
        edgeShownAt = meaningful;
        show(result);
      })
      .catch((cause) => log.log('warn', 'first page failed', cause));
    // The worker once the page is loaded and idle, after the edge's answer or two seconds, whichever
    // comes first: its downloads never hold up the first page's, and a slow edge never holds up the models.
    const idle = () =>
      win.requestIdleCallback
        ? win.requestIdleCallback(() => void connect(), { timeout: 3000 })
        : win.setTimeout(() => void connect(), 200);
    const whenLoaded = () =>
      doc.readyState === 'complete' ? idle() : win.addEventListener('load', idle, { once: true });
    void Promise.race([answer, new Promise((r) => win.setTimeout(r, FIRST_PAGE_GRACE_MS))]).then(whenLoaded);
  } else void connect();

  return { status: () => status };
}

/**
 * `run` one call at a time: a call while one runs asks for one more run after it (however many
 * came), so the last state is always covered and nothing runs twice at once. Runs start at least
 * `gapMs` apart: a lone call runs at once, a burst (a script's events, a replayed dataLayer) costs
 * one run per gap, each reading the state as it then is.
 */
export function oneAtATime(run: () => Promise<void>, gapMs = 0): () => Promise<void> {
  let running = false;
  let again = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  const call = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const wait = lastStart + gapMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Whatever came while it waited is read by this run: no second one for it.
      again = false;
      lastStart = performance.now();
      await run();
    } finally {
      running = false;
      if (again) {
        again = false;
        void call();
      }
    }
  };
  return call;
}
