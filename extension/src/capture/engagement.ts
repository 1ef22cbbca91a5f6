/** @module capture/engagement — dwell time while the page is visible, and the deepest scroll, as `user_engagement`. */
import type { Collector } from './context';

/** Shorter glances say nothing about interest; GA4 uses the same one-second floor. */
const MIN_ENGAGEMENT_MS = 1000;

export interface Engagement {
  /** Emits what accumulated since the last report (on hide, page leave, or an in-page navigation). */
  report(): void;
  /** Starts over for a new in-page route: scroll depth is per page. */
  restart(): void;
  /** Drops what accumulated without reporting it: the shopper erased their data, this dwell included. */
  forget(): void;
}

export function createEngagement(ctx: Parameters<Collector>[0]): Engagement & { stop(): void } {
  const { doc, win } = ctx;
  let visibleSince = doc.visibilityState === 'visible' ? performance.now() : -1;
  let engaged = 0;
  let depth = 0;
  let scheduled = false;

  const measure = () => {
    scheduled = false;
    const el = doc.documentElement;
    const total = Math.max(el.scrollHeight, doc.body?.scrollHeight ?? 0);
    if (total > 0) depth = Math.max(depth, Math.min(100, Math.round(((win.scrollY + win.innerHeight) / total) * 100)));
  };
  const onScroll = () => {
    if (!scheduled) {
      scheduled = true;
      win.requestAnimationFrame(measure);
    }
  };
  const report = () => {
    if (visibleSince >= 0) {
      engaged += performance.now() - visibleSince;
      visibleSince = doc.visibilityState === 'visible' ? performance.now() : -1;
    }
    if (engaged < MIN_ENGAGEMENT_MS) return;
    const item = ctx.pageItem();
    ctx.emit('user_engagement', {
      engagement_ms: Math.round(engaged),
      scroll_depth: depth,
      ...(item ? { items: [item] } : {}),
    });
    engaged = 0;
  };
  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') report();
    else visibleSince = performance.now();
  };
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', measure, { once: true });
  else measure();
  win.addEventListener('scroll', onScroll, { passive: true });
  doc.addEventListener('visibilitychange', onVisibility);
  return {
    report,
    restart() {
      depth = 0;
      win.requestAnimationFrame(measure);
    },
    forget() {
      engaged = 0;
      depth = 0;
      visibleSince = doc.visibilityState === 'visible' ? performance.now() : -1;
    },
    stop() {
      win.removeEventListener('scroll', onScroll);
      doc.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
