/** @module capture/datalayer — GA4 events from `window.dataLayer`, both `{ event, ecommerce }` pushes and gtag() calls. */
import { KNOWN_EVENT_TYPES } from '@aisle/shared-models/schema/constants';
import type { CaptureContext, Collector } from './context';
import { toFields } from './normalize';

/**
 * GA4 names we take from the dataLayer. Our own page_view and engagement are measured directly,
 * and recommendation and risk events come only from Aisle itself.
 */
const SKIP = new Set(['page_view', 'user_engagement', 'rec_impression', 'rec_click', 'risk_flag']);
const TAKEN = new Set<string>(KNOWN_EVENT_TYPES.filter((t) => !SKIP.has(t)));

type Loose = Record<string, unknown>;

/** Reads one dataLayer entry as `[name, params]`, or null if it is not a GA4 event we understand. */
export function readEntry(entry: unknown): [string, Loose] | null {
  if (!entry || typeof entry !== 'object') return null;
  // gtag('event', name, params) pushes its `arguments` object, which is array-like.
  const args = entry as ArrayLike<unknown>;
  if (typeof args.length === 'number' && args[0] === 'event' && typeof args[1] === 'string') {
    const params = args[2] && typeof args[2] === 'object' ? (args[2] as Loose) : {};
    return TAKEN.has(args[1]) ? [args[1], params] : null;
  }
  const e = entry as Loose;
  if (typeof e.event !== 'string' || !TAKEN.has(e.event)) return null;
  const ecommerce = e.ecommerce && typeof e.ecommerce === 'object' ? (e.ecommerce as Loose) : {};
  return [e.event, { ...e, ...ecommerce }];
}

/** Replays what the page pushed before the script loaded, then follows every later push. */
export const dataLayerCollector: Collector = (ctx: CaptureContext) => {
  const w = ctx.win as Window & { dataLayer?: unknown[] };
  if (!Array.isArray(w.dataLayer)) w.dataLayer = [];
  const layer = w.dataLayer;
  const handle = (entry: unknown) => {
    try {
      const read = readEntry(entry);
      if (read) ctx.emit(read[0], toFields(read[1], false), 'datalayer');
    } catch (cause) {
      ctx.log.log('warn', 'could not read a dataLayer entry', cause);
    }
  };
  for (const entry of layer) handle(entry);
  const original = layer.push;
  // Wrap rather than replace: Google Tag Manager may wrap push too, before or after us.
  const wrapped = function (this: unknown[], ...entries: unknown[]) {
    const result = original.apply(this, entries);
    for (const entry of entries) handle(entry);
    return result;
  };
  layer.push = wrapped;
  return () => {
    if (layer.push === wrapped) layer.push = original;
  };
};
