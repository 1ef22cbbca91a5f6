/** @module sync/outbox — flushes the outbox to the edge in batches: one flush at a time, events removed only once settled. */
import { siteUrl } from '../core/endpoints';
import type { Logger } from '../core/logger';
import type { OutboxStore } from '../store/events';
import { createBackoff } from './backoff';
import { BEACON_BYTES as KEEPALIVE_BYTES } from './beacon';

export interface OutboxOptions {
  /** `https://edge.example` — the events go to `${endpoint}/v1/events`. */
  endpoint: string;
  site: string;
  store: OutboxStore;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Events per request; default 100, at most 500 (the server's limit). */
  batchSize?: number;
  /** Wait after refusals that no retry fixes soon (unknown site key, origin not allowed): default 5 minutes. */
  refusedDelayMs?: number;
  /** Whether the browser believes it is online; default `navigator.onLine`. */
  online?: () => boolean;
  /** Called after every request with what became of it. */
  onResult?: (result: FlushResult) => void;
  /** The shared-lock API, so that only one tab of a store flushes at a time. */
  locks?: LockManager;
}

export interface FlushResult {
  sent: number;
  /** Acknowledged (stored, duplicate or rejected as invalid) and removed from the outbox. */
  settled: number;
  /** The ids of the settled events. */
  ids?: string[];
  status: number | 'offline' | 'network-error';
  retryInMs?: number;
}

export interface Outbox {
  /**
   * Sends everything queued, batch by batch, until empty or a failure schedules a retry. With
   * `keepalive` (the page is being hidden) requests outlive the page, within the browser's 64 KiB budget.
   */
  flush(options?: { keepalive?: boolean }): Promise<void>;
  /** Flushes after `delayMs` unless a flush is already due sooner. */
  schedule(delayMs: number): void;
  stop(): void;
}

interface ServerError {
  details?: { index?: number }[];
}

export function createOutbox(options: OutboxOptions): Outbox {
  const {
    endpoint,
    site,
    store,
    logger,
    onResult,
    locks,
    refusedDelayMs = 5 * 60_000,
    fetch: doFetch = (...a) => fetch(...a),
    online = () => navigator.onLine !== false,
  } = options;
  const maxBatch = Math.min(500, Math.max(1, options.batchSize ?? 100));
  // Posting as text/plain with the site key in the query string makes this a CORS "simple"
  // request: no preflight round trip before every batch from a merchant's origin.
  const url = siteUrl(endpoint, 'events', site);
  const backoff = createBackoff();
  let batchSize = maxBatch;
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dueAt = Number.POSITIVE_INFINITY;
  let stopped = false;

  const report = (r: FlushResult) => {
    onResult?.(r);
    if (r.status !== 200) logger?.log('info', `outbox: ${r.status}, ${r.settled}/${r.sent} settled`);
  };

  function schedule(delayMs: number) {
    if (stopped) return;
    const at = Date.now() + delayMs;
    if (at >= dueAt) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => {
      dueAt = Number.POSITIVE_INFINITY;
      void flush();
    }, delayMs);
  }

  /** Sends one batch; returns false when flushing should stop for now. */
  async function sendBatch(keepalive: boolean): Promise<boolean> {
    const batch = await store.peek(batchSize);
    if (!batch.length) {
      backoff.reset();
      return false;
    }
    const ids = batch.map((e) => e.event_id);
    if (!online()) {
      report({ sent: 0, settled: 0, status: 'offline' });
      return false; // the `online` event flushes again
    }
    const body = JSON.stringify({ events: batch });
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
        keepalive: keepalive && body.length < KEEPALIVE_BYTES,
        credentials: 'omit',
      });
    } catch {
      const retryInMs = backoff.next();
      report({ sent: batch.length, settled: 0, status: 'network-error', retryInMs });
      schedule(retryInMs);
      return false;
    }
    const { status } = res;
    // Read every answer to the end: an unread body keeps the request in flight, and with it its share of the keepalive budget.
    const answer = await res.text().catch(() => '');
    if (status >= 200 && status < 300) {
      // Stored, duplicate, or rejected as invalid: none of them will ever change by resending.
      await store.remove(ids);
      batchSize = maxBatch;
      backoff.reset();
      report({ sent: batch.length, settled: batch.length, ids, status });
      return true;
    }
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfter = Number(res.headers.get('Retry-After'));
      const retryInMs = backoff.next(Number.isFinite(retryAfter) ? retryAfter * 1000 : 0);
      report({ sent: batch.length, settled: 0, status, retryInMs });
      schedule(retryInMs);
      return false;
    }
    if (status === 401 || status === 403 || status === 404) {
      // The site key or origin is misconfigured; keep the events (the outbox is bounded) and wait.
      report({ sent: batch.length, settled: 0, status, retryInMs: refusedDelayMs });
      schedule(refusedDelayMs);
      return false;
    }
    // Any other 4xx: the request itself was refused. Drop the events it names, or narrow the
    // batch until the one event that cannot be sent is alone, and drop that one.
    let named: number[] = [];
    try {
      named = ((JSON.parse(answer) as ServerError).details ?? [])
        .map((d) => d.index)
        .filter((i): i is number => Number.isInteger(i));
    } catch {
      // not JSON: nothing named
    }
    const bad = named.map((i) => ids[i]).filter(Boolean);
    const dropped = bad.length ? bad : batch.length === 1 ? ids : [];
    if (dropped.length) await store.remove(dropped);
    else batchSize = Math.max(1, Math.floor(batch.length / 2));
    const settled = dropped.length;
    report({ sent: batch.length, settled, ids: dropped, status });
    logger?.log('warn', `server refused ${settled} event(s) with ${status}`);
    return true;
  }

  async function drain(keepalive: boolean) {
    while (!stopped && (await sendBatch(keepalive)));
  }

  function flush({ keepalive = false } = {}): Promise<void> {
    if (running) return running;
    const run = locks
      ? // ifAvailable: another tab is already flushing the same outbox; let it.
        locks.request(`aisle-outbox:${site}`, { ifAvailable: true }, (lock) =>
          lock ? drain(keepalive) : schedule(2000),
        )
      : drain(keepalive);
    running = Promise.resolve(run)
      .then(() => undefined)
      .catch((cause) => logger?.log('error', 'outbox flush failed', cause))
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    flush,
    schedule,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
