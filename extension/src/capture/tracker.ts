/** @module capture/tracker — builds events, applies consent, and hands them to the local store and the outbox. */
import { EVENT_TYPE_PATTERN } from '@aisle/shared-models/schema/constants';
import type { AisleEvent, AisleItem } from '@aisle/shared-models/schema/event';
import { base64url, deviceAnonymousId } from '@aisle/shared-models/schema/ids';
import { cleanStrings } from '@aisle/shared-models/schema/text';
import type { Meta } from '../store/db';
import { type SessionState, settleSessions } from '../store/session';
import { sendEventsBeacon } from '../sync/beacon';
import type { Engine } from '../sync/engine';
import type { FlushResult } from '../sync/outbox';
import { awaitingDecision, type Consent, type ConsentState, resolveConsent } from './consent';
import type { CaptureContext } from './context';
import { createDeduper } from './dedupe';
import { bucketOf, hashId, uuid } from './ids';
import { createLogger } from './logger';
import { type EventFields, toFields } from './normalize';
import { deviceClass, pageContext } from './page';
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

/** 32 random bytes, base64url: the secret only this browser holds. */
const newSecret = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** A device record of this version (earlier ones kept the ids they had bound, and an erasure due). */
const isDevice = (d: unknown): d is Meta['device'] =>
  !!d && typeof (d as Meta['device']).secret === 'string' && !('bound' in (d as object));

/**
 * This version's record from an earlier one's: the same secret, so the server still knows the ids
 * it bound then; an erasure still due is asked for with it, and a new secret starts afresh.
 */
function fromLegacy(d: unknown): Meta['device'] {
  const old = d as { secret?: unknown; eraseDue?: unknown } | undefined;
  if (typeof old?.secret !== 'string') return { secret: newSecret() };
  return old.eraseDue ? { secret: newSecret(), erase: [old.secret] } : { secret: old.secret };
}

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
  let browserKey: Meta['device'] | undefined;
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
      engine.metaGet('device'),
    ]);
    browserKey = isDevice(storedDevice) ? storedDevice : fromLegacy(storedDevice);
    if (browserKey !== storedDevice) await engine.metaSet('device', browserKey);
    // The anonymous id is the one the secret stands for (a legacy random id is left behind).
    const anonymous_id = (await anonymousIdOf(browserKey.secret)) ?? storedIds?.anonymous_id ?? uuid();
    ids = storedIds?.anonymous_id === anonymous_id ? storedIds : { ...storedIds, anonymous_id };
    if (ids !== storedIds) await engine.metaSet('ids', ids);
    session = storedSession;
    decided = storedConsent ?? null;
    consent = resolveConsent(config.consentMode, gpc, storedConsent);
    isReady = true;
    process();
    if (browserKey.erase?.length) void eraseOnServer();
    // Whatever earlier pages left in the outbox goes out now.
    if (consent.analytics) await engine.schedule(0);
  }

  /** The anonymous id `secret` stands for; null where Web Crypto is missing (an insecure page): it cannot be proved there. */
  async function anonymousIdOf(secret: string): Promise<string | null> {
    return crypto.subtle ? deviceAnonymousId(secret, config.site) : null;
  }

  const meUrl = (path = '') => `${config.endpoint}/v1/me${path}?site=${encodeURIComponent(config.site)}`;
  const authorised = (secret = browserKey?.secret) => ({ Authorization: `Device ${secret}` });

  /** Erases what the server holds for each secret this browser has let go of; remembered until it confirms. */
  async function eraseOnServer() {
    const d = browserKey;
    for (const secret of [...(d?.erase ?? [])]) {
      try {
        const res = await fetch(meUrl(), { method: 'DELETE', headers: authorised(secret) });
        if (!res.ok) continue;
        if (d) d.erase = d.erase?.filter((s) => s !== secret);
        await engine?.metaSet('device', d as Meta['device']);
      } catch {
        log.log('warn', 'erasure: server unreachable, asked again on the next page');
      }
    }
  }

  /** Unlinks the user ids this browser proved, on the server (asked again on the next identify if offline). */
  async function unlinkIdentities() {
    const d = browserKey;
    if (!d?.proved?.length) return;
    try {
      const res = await fetch(meUrl('/identity'), { method: 'DELETE', headers: authorised() });
      if (!res.ok) return;
      d.proved = [];
      await engine?.metaSet('device', d);
    } catch {
      // offline: unlinked on the next identify
    }
  }

  /** Proves a signed-in shopper's user id to the server with the merchant's proof (with analytics consent, like events). */
  async function proveIdentity(userId: string, proof: unknown) {
    const d = browserKey;
    if (!d || typeof proof !== 'string' || !consent.analytics || d.proved?.includes(userId)) return;
    try {
      const res = await fetch(meUrl('/identity'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...authorised() },
        body: JSON.stringify({ user_id: userId, proof }),
      });
      if (!res.ok) return log.log('warn', `aisle.identify: proof refused (${res.status})`);
      d.proved = [...(d.proved ?? []), userId];
      await engine?.metaSet('device', d);
    } catch {
      // offline: proved on a later identify
    }
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
      if (isDevice(storedDevice)) browserKey = storedDevice;
      session = undefined;
    });
  });

  const ready = init().catch((cause) => {
    isReady = true;
    log.log('error', 'aisle could not start', cause);
  });
  /** The engine once started, with everything captured so far stamped and written. */
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
          `${config.endpoint}/v1/consent?site=${encodeURIComponent(config.site)}`,
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
    if (before.personalization && !consent.personalization) await engine?.clear('history');
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
        log.log('warn', `aisle.track: "${String(type)}" is not an event name (snake_case, at most 40 characters)`);
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
            log.log('warn', 'aisle.identify needs a secure (https) page to hash the id; ignored');
            return;
          }
          ids = { ...ids, user_id: hashed };
        }
        await engine?.metaSet('ids', ids);
        // Signed out, or someone else signed in: what the last shopper proved is no longer this browser's.
        if (before !== ids.user_id) await unlinkIdentities();
        if (ids.user_id && options && typeof options === 'object') await proveIdentity(ids.user_id, options.proof);
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
    async flush() {
      // Clicks on data-aisle-action buttons are captured a task later; include them.
      await new Promise((r) => setTimeout(r, 0));
      const e = await drained();
      if (consent.analytics) await e?.flush();
    },
    async me() {
      await ready;
      // Without Web Crypto the anonymous id was not derived from the secret: nothing to prove.
      if (!browserKey || !crypto.subtle) return null;
      try {
        const res = await fetch(meUrl(), { headers: authorised() });
        return res.ok ? res.json() : null;
      } catch {
        return null;
      }
    },
    erase() {
      return changingIds(async () => {
        // The server's copy goes with the old secret; this browser starts over with a new one.
        const old = browserKey;
        browserKey = { secret: newSecret(), erase: old ? [...(old.erase ?? []), old.secret] : [] };
        await engine?.metaSet('device', browserKey);
        await eraseOnServer();
        pending.length = 0;
        held.length = 0;
        toWrite.length = 0;
        unsent.clear();
        await commit();
        await Promise.all([engine?.clear('history'), engine?.clear('outbox'), engine?.metaDelete('session')]);
        ids = { anonymous_id: (await anonymousIdOf(browserKey.secret)) ?? uuid() };
        session = undefined;
        await engine?.metaSet('ids', ids);
        // The shopper's other tabs of this shop take up the new identity at once.
        tabs?.postMessage('erased');
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
