/** @module capture/tracker — builds events, applies consent, and hands them to the local store and the outbox. */
import { EVENT_TYPE_PATTERN } from '@aisle/shared-models/schema/constants';
import type { AisleEvent, AisleItem } from '@aisle/shared-models/schema/event';
import { type SessionState, settleSessions } from '@aisle/shared-models/schema/sessions';
import { cleanStrings } from '@aisle/shared-models/schema/text';
import { siteUrl } from '../core/endpoints';
import { bucketOf, hashId, uuid } from '../core/ids';
import { createLogger } from '../core/logger';
import { forgetKept } from '../infer/forget';
import type { Meta } from '../store/db';
import { sendEventsBeacon } from '../sync/beacon';
import type { Engine } from '../sync/engine';
import type { FlushResult } from '../sync/outbox';
import { awaitingDecision, type Consent, type ConsentState, resolveConsent } from './consent';
import type { CaptureContext } from './context';
import { createDeduper } from './dedupe';
import { type EventFields, toFields } from './normalize';
import { deviceClass, pageContext } from './page';
import { createShopper, newSecret } from './shopper';
import type { Listener, Status, Tracker, TrackerConfig, TrackerDeps } from './types';

export type { Listener, Status, Tracker, TrackerConfig, TrackerDeps } from './types';

/** Events kept in memory while an opt-in store waits for the shopper's choice. */
const MAX_HELD = 100;
/** One action reported by two channels (a click and a dataLayer push) within this window counts once. */
const DEDUPE_MS = 2000;
/** Views are counted once per page (or in-page route), however many sources report them. */
const PAGE_MS = 30 * 60_000;
/**
 * Events wait this long in memory to be written to IndexedDB together: its cost is mostly per
 * request, and shoppers act in bursts. Hiding or leaving the page writes at once.
 */
const COMMIT_MS = 150;
const COMMIT_MAX = 50;

const itemKey = (f: EventFields) => (f.items ?? []).map((i) => i.item_id).join(',');

export function createTracker(config: TrackerConfig, deps: TrackerDeps): Tracker {
  const { win, doc } = deps;
  const listeners = new Map<string, Set<Listener>>();
  const fire = (name: string, payload: unknown) => {
    for (const fn of listeners.get(name) ?? []) {
      try {
        fn(payload);
      } catch (cause) {
        log.log('warn', `an aisle.on('${name}') listener threw`, cause);
      }
    }
  };
  const log = createLogger(config.logLevel, (message) => fire('error', message));
  const gpc = (win.navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  let consent = resolveConsent(config.consentMode, gpc, null);
  let engine: Engine | undefined;
  let mode: Status['sync'] = 'starting';
  let ids: Meta['ids'] = { anonymous_id: '' };
  let session: SessionState | undefined;
  let isReady = false;
  let scheduled = false;
  /** While ids change (identify, erase), stamping waits so no event gets half of the old identity. */
  let identifying: Promise<void> | null = null;
  let lastWrite: Promise<unknown> = Promise.resolve();
  // Captured, not yet stamped with ids (waiting for init, identify or a microtask).
  const pending: AisleEvent[] = [];
  // Stamped and waiting to be written together, all bound for the same stores.
  const toWrite: AisleEvent[] = [];
  let writeTo = { history: false, outbox: false };
  let commitTimer: ReturnType<typeof setTimeout> | undefined;
  const held: AisleEvent[] = [];
  // Events of this page bound for the server and not yet acknowledged: the exit beacon's payload.
  const unsent = new Map<string, AisleEvent>();
  let page = pageContext(doc, config.urlParams);
  const device = deviceClass(win);
  let pageSeq = 0;
  let pageItem: AisleItem | undefined;
  const shouldCount = createDeduper(DEDUPE_MS);
  const shopper = createShopper(
    config,
    async (d) => engine?.metaSet('device', d),
    log,
    () => consent.analytics,
  );

  const onResult = (r: FlushResult) => {
    for (const id of r.ids ?? []) unsent.delete(id);
    fire('sync', r);
  };

  /** Stamps ids on what was captured and applies consent; the write follows shortly, in one request. */
  function process() {
    scheduled = false;
    if (!isReady || !pending.length) return;
    if (identifying) {
      void identifying.then(process);
      return;
    }
    const batch = pending.splice(0);
    if (awaitingDecision(consent)) {
      held.push(...batch);
      held.splice(0, Math.max(0, held.length - MAX_HELD));
      return;
    }
    const to = { history: consent.personalization, outbox: consent.analytics };
    if (!to.history && !to.outbox) return;
    const group = bucketOf(ids.anonymous_id) < config.controlShare ? 'control' : 'treatment';
    for (const e of batch) {
      e.anonymous_id = ids.anonymous_id;
      if (ids.user_id) e.user_id = ids.user_id;
      e.group = group;
    }
    session = settleSessions(session, batch, uuid);
    if (to.outbox) {
      for (const e of batch) unsent.set(e.event_id, e);
      // Bounded: the exit beacon carries at most 60 KB anyway.
      for (const id of unsent.keys()) {
        if (unsent.size <= 300) break;
        unsent.delete(id);
      }
    }
    if (toWrite.length && (to.history !== writeTo.history || to.outbox !== writeTo.outbox)) commit();
    writeTo = to;
    toWrite.push(...batch);
    for (const e of batch) fire('event', e);
    if (toWrite.length >= COMMIT_MAX) commit();
    else commitTimer ??= setTimeout(commit, COMMIT_MS);
  }

  /** Writes what waits to IndexedDB now; resolves when every write so far is done. */
  function commit(): Promise<unknown> {
    clearTimeout(commitTimer);
    commitTimer = undefined;
    if (!toWrite.length || !engine) return lastWrite;
    const events = toWrite.splice(0);
    const to = writeTo;
    // Transactions over the same stores run in the order they were created, and messages to the
    // worker arrive in order, so no chaining is needed.
    const write = engine
      .commit(events, to)
      .then((s) => {
        session = s ?? session;
        if (to.outbox) return engine?.schedule(config.flushDelayMs);
      })
      .catch((cause) => log.log('error', 'could not store events', cause));
    lastWrite = Promise.all([lastWrite, write]);
    return lastWrite;
  }

  function enqueue(type: string, fields: EventFields) {
    const e = {
      event_id: uuid(),
      type,
      ts: Date.now(),
      anonymous_id: '',
      session_id: '',
      page,
      device,
      ...fields,
    } as AisleEvent;
    // A NUL or half an emoji in what the page gave would cost the event at the server: never sent.
    pending.push(cleanStrings(e));
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(process);
    }
  }

  const dedupeKey = (type: string, f: EventFields) =>
    type.startsWith('view_item')
      ? [pageSeq, type, itemKey(f), f.item_list_name].join('|')
      : [type, itemKey(f), f.search_term, f.transaction_id].join('|');

  const context: CaptureContext = {
    win,
    doc,
    log,
    emit(type, fields = {}, channel = 'markup') {
      if (shouldCount(dedupeKey(type, fields), channel, type.startsWith('view_item') ? PAGE_MS : DEDUPE_MS)) {
        enqueue(type, fields);
      }
    },
    pageItem: () => pageItem,
    setPageItem(item) {
      pageItem ??= item;
    },
  };

  async function init() {
    // The storage-and-sync worker starts in a task of its own: started inside the script's first
    // run, its creation and first messages made that run a long task on a slow phone (50 ms at 4×
    // CPU). Events captured meanwhile wait in memory, as they do until it answers anyway.
    await new Promise((resolve) => deps.win.setTimeout(resolve, 0));
    const connection = await deps.connect(
      {
        endpoint: config.endpoint,
        site: config.site,
        batchSize: config.batchSize,
        limits: config.limits,
        logLevel: config.logLevel,
      },
      onResult,
      log,
    );
    engine = connection.engine;
    mode = connection.mode;
    const [storedIds, storedSession, storedConsent, storedDevice] = await Promise.all([
      engine.metaGet('ids'),
      engine.metaGet('session'),
      engine.metaGet('consent'),
      // Made by the first tab to start and kept by every other, however many start at once.
      engine.metaInit('device', { secret: newSecret() }),
    ]);
    // The anonymous id is the one the secret stands for (a legacy random id is left behind).
    const anonymous_id = (await shopper.load(storedDevice)) ?? storedIds?.anonymous_id ?? uuid();
    ids = storedIds?.anonymous_id === anonymous_id ? storedIds : { ...storedIds, anonymous_id };
    if (ids !== storedIds) await engine.metaSet('ids', ids);
    session = storedSession;
    decided = storedConsent ?? null;
    consent = resolveConsent(config.consentMode, gpc, storedConsent);
    isReady = true;
    process();
    // Whatever earlier pages left in the outbox goes out now.
    if (consent.analytics) await engine.schedule(0);
  }

  /** The shopper's other tabs of this shop (same origin, same site key): told when this one erases. */
  const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`aisle:${config.site}`) : undefined;
  tabs?.addEventListener('message', (ev) => {
    if (ev.data !== 'erased') return;
    void changingIds(async () => {
      // What this tab held for the old identity goes; its next events carry the new one.
      toWrite.length = 0;
      unsent.clear();
      const [storedIds, storedDevice] = await Promise.all([engine?.metaGet('ids'), engine?.metaGet('device')]);
      if (storedIds) ids = storedIds;
      await shopper.load(storedDevice);
      session = undefined;
      fire('erased', {});
    });
  });

  const ready = init().catch((cause) => {
    isReady = true;
    log.log('error', 'aisle could not start', cause);
  });
  /** The engine once started, with everything captured so far stamped and written. */
  /** Without a store (storage refused), the flagged session is remembered for this page only. */
  let flaggedInMemory: string | undefined;
  const drained = async () => {
    await ready;
    process();
    await commit();
    return engine;
  };
  /** Runs a change of ids (identify, erase); stamping waits for it, so no event gets half of each identity. */
  const changingIds = async (run: () => Promise<void>) => {
    await ready;
    identifying = run().finally(() => {
      identifying = null;
    });
    await identifying;
  };

  /** The shopper's last explicit choice, as stored. */
  let decided: Consent | null = null;

  async function setConsent(update?: Partial<Consent>): Promise<ConsentState> {
    await ready;
    if (!update || typeof update !== 'object') return { ...consent };
    const next = {
      analytics: typeof update.analytics === 'boolean' ? update.analytics : consent.analytics,
      personalization: typeof update.personalization === 'boolean' ? update.personalization : consent.personalization,
    };
    const before = consent;
    // A new choice is counted on the server: the choice alone, with no id, address or cookie (the
    // record of consent a merchant keeps, and the dashboard's consent rate). Repeats are not counted.
    if (next.analytics !== decided?.analytics || next.personalization !== decided?.personalization) {
      decided = next;
      try {
        navigator.sendBeacon?.(
          siteUrl(config.endpoint, 'consent', config.site),
          new Blob([JSON.stringify(next)], { type: 'text/plain;charset=UTF-8' }),
        );
      } catch {
        // A refused beacon costs the merchant a count, nothing else.
      }
    }
    // What was captured under the old choice is stored under it; the withdrawal below then clears it.
    process();
    await commit();
    consent = resolveConsent(config.consentMode, gpc, next);
    await engine?.metaSet('consent', { ...next, ts: Date.now() });
    // Withdrawn consent stops what was waiting too: nothing queued leaves the device afterwards.
    if (before.analytics && !consent.analytics) {
      unsent.clear();
      await engine?.clear('outbox');
    }
    if (before.personalization && !consent.personalization) await Promise.all([engine?.clear('history'), forgetKept()]);
    if (held.length) {
      pending.unshift(...held.splice(0));
      process();
    }
    if (consent.analytics) await engine?.schedule(0);
    fire('consent', { ...consent });
    return { ...consent };
  }

  return {
    ready,
    context,
    track(type, props) {
      if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type.trim().toLowerCase())) {
        log.log('warn', `aisle.track: "${String(type)}" is not a snake_case name of at most 40 characters`);
        return;
      }
      const t = type.trim().toLowerCase();
      const fields = toFields(props && typeof props === 'object' ? props : {}, true);
      // Explicit calls always count, and they claim the key so that an automatic channel repeating them is dropped.
      shouldCount(dedupeKey(t, fields), 'api');
      enqueue(t, fields);
    },
    identify(userId, options) {
      return changingIds(async () => {
        const before = ids.user_id;
        if (userId === null || userId === undefined || String(userId).trim() === '') delete ids.user_id;
        else {
          const hashed = await hashId(String(userId), config.site);
          if (!hashed) {
            log.log('warn', 'aisle.identify: ignored, an insecure page cannot hash the id');
            return;
          }
          ids = { ...ids, user_id: hashed };
        }
        await engine?.metaSet('ids', ids);
        // Signed out, or someone else signed in: what the last shopper proved is no longer this browser's.
        if (before !== ids.user_id) await shopper.unlink();
        if (ids.user_id && options && typeof options === 'object') await shopper.prove(ids.user_id, options.proof);
      });
    },
    consent: setConsent,
    fire,
    on(name, fn) {
      if (typeof fn !== 'function') return () => {};
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set.add(fn));
      return () => set.delete(fn);
    },
    async status() {
      const e = await drained();
      return {
        backend: null,
        models: {},
        consent: { ...consent },
        queued: (consent.analytics && e ? await e.count() : 0) + pending.length + held.length,
        storage: e?.storage ?? 'memory',
        sync: mode,
        errors: log.recent(),
      };
    },
    async history(limit) {
      const e = await drained();
      return e ? e.history(limit) : [];
    },
    async firstFlag(sessionId) {
      const e = await drained();
      const last = e ? (await e.metaGet('risk'))?.session_id : flaggedInMemory;
      if (last === sessionId) return false;
      flaggedInMemory = sessionId;
      await e?.metaSet('risk', { session_id: sessionId });
      return true;
    },
    async flush() {
      // Clicks on data-aisle-action buttons are captured a task later; include them.
      await new Promise((r) => setTimeout(r, 0));
      const e = await drained();
      if (consent.analytics) await e?.flush();
    },
    async me() {
      await ready;
      return shopper.me();
    },
    erase() {
      return changingIds(async () => {
        // The server's copy goes with the old secret; this browser starts over with a new one.
        const anonymous_id = await shopper.rotate();
        pending.length = 0;
        held.length = 0;
        toWrite.length = 0;
        unsent.clear();
        await commit();
        // The recommender's kept answers name products the shopper had on screen: they go with the history.
        await Promise.all([
          engine?.clear('history'),
          engine?.clear('outbox'),
          engine?.metaDelete('session'),
          forgetKept(),
        ]);
        ids = { anonymous_id: anonymous_id ?? uuid() };
        session = undefined;
        await engine?.metaSet('ids', ids);
        // The shopper's other tabs of this shop take up the new identity at once.
        tabs?.postMessage('erased');
        // What holds a copy of the history (the recommendations' client) lets it go.
        fire('erased', {});
      });
    },
    hidden() {
      process();
      const written = commit();
      if (consent.analytics) void written.then(() => engine?.flush({ keepalive: true }));
    },
    leaving() {
      process();
      void commit();
      if (consent.analytics) sendEventsBeacon(config.endpoint, config.site, [...unsent.values()]);
    },
    navigated() {
      const next = pageContext(doc, config.urlParams);
      if (next.url === page.url) return;
      page = { ...next, referrer: page.url };
      pageSeq++;
      pageItem = undefined;
      enqueue('page_view', {});
    },
  };
}
