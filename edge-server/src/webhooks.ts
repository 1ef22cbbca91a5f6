/**
 * @module edge-server/webhooks — pushing at-risk shoppers to a merchant's CRM. When churn scores are
 * stored, each of the site's webhooks gets the shoppers at or above its threshold in one delivery:
 * a JSON body signed with HMAC-SHA256 over `TIMESTAMP.BODY` with the webhook's secret
 * (`X-Aisle-Timestamp`, `X-Aisle-Signature: sha256=HEX`), so the receiver can check it came from
 * here and is not a replay. A delivery is stored before it is tried, retried with exponential
 * backoff and jitter on network errors, timeouts, 408, 429 and 5xx, given up after the last attempt
 * or on another 4xx, and picked up again after a restart.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Storage } from './storage';
import type { Delivery } from './storage/webhooks';

export interface DispatcherOptions {
  now?: () => number;
  /** Milliseconds before retry `attempt` (1, 2, …); default 1 s, 2 s, 4 s … capped at an hour, with jitter. */
  backoffMs?: (attempt: number) => number;
  maxAttempts?: number;
  timeoutMs?: number;
}

export const signBody = (secret: string, timestamp: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

export function webhookDispatcher(storage: Storage, options: DispatcherOptions = {}) {
  const {
    now = Date.now,
    backoffMs = (attempt) => Math.min(3_600_000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2),
    maxAttempts = 8,
    timeoutMs = 10_000,
  } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function attempt(d: Delivery) {
    const hook = await storage.webhooks.get(d.webhook_id);
    const attempts = d.attempts + 1;
    if (!hook) {
      await storage.webhooks.update({
        ...d,
        status: 'failed',
        attempts,
        last_error: 'webhook removed',
        done_at: now(),
      });
      return;
    }
    const timestamp = String(Math.floor(now() / 1000));
    let error: string;
    let retry = true;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Aisle-Webhooks/1',
          'X-Aisle-Delivery': d.id,
          'X-Aisle-Timestamp': timestamp,
          'X-Aisle-Signature': signBody(hook.secret, timestamp, d.body),
        },
        body: d.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        await storage.webhooks.update({ ...d, status: 'delivered', attempts, last_error: null, done_at: now() });
        return;
      }
      error = `HTTP ${res.status}`;
      retry = res.status >= 500 || res.status === 408 || res.status === 429;
    } catch (cause) {
      error = (cause as Error).message;
    }
    const done = !retry || attempts >= maxAttempts;
    await storage.webhooks.update({
      ...d,
      status: done ? 'failed' : 'pending',
      attempts,
      last_error: error,
      next_at: done ? d.next_at : Math.round(now() + backoffMs(attempts)),
      done_at: done ? now() : null,
    });
  }

  async function drain() {
    for (;;) {
      const due = await storage.webhooks.due(now(), 20);
      if (!due.length || stopped) break;
      await Promise.all(due.map(attempt));
    }
    schedule();
  }

  function kick() {
    if (stopped) return;
    running ??= drain()
      .catch((error) => console.error('[edge] webhook deliveries:', (error as Error).message))
      .finally(() => {
        running = undefined;
      });
  }

  function schedule() {
    if (stopped) return;
    void storage.webhooks.nextDue().then((at) => {
      if (at === undefined || stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(kick, Math.max(0, at - now()));
      timer.unref?.();
    });
  }

  return {
    /** Queues a delivery of the site's at-risk shoppers to every webhook whose threshold they reach. */
    async notify(
      site: string,
      users: { user_id: string; churn: number | null }[],
      describe: (u: { user_id: string }) => unknown,
      /** Loads what `describe` needs for these users, once, before the first body is built. */
      prepare: (ids: string[]) => Promise<void> = async () => {},
    ) {
      const hooks = await storage.webhooks.list(site);
      if (!hooks.length) return;
      const lowest = Math.min(...hooks.map((h) => h.min_churn));
      await prepare(users.filter((u) => u.churn !== null && u.churn >= lowest).map((u) => u.user_id));
      for (const hook of hooks) {
        const atRisk = users.filter((u) => u.churn !== null && u.churn >= hook.min_churn);
        if (!atRisk.length) continue;
        const id = randomUUID();
        await storage.webhooks.enqueue({
          id,
          webhook_id: hook.id,
          body: JSON.stringify({
            id,
            event: 'users.at_risk',
            site,
            sent_at: new Date(now()).toISOString(),
            users: atRisk.map(describe),
          }),
          status: 'pending',
          attempts: 0,
          next_at: now(),
          last_error: null,
          created_at: now(),
          done_at: null,
        });
      }
      kick();
    },
    /** Picks up deliveries left pending (after a restart). */
    start: kick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof webhookDispatcher>;
