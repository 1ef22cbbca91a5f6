/**
 * @module edge-server/storage/webhooks — merchants' webhooks (where at-risk shoppers are pushed,
 * with the secret their bodies are signed with) and each delivery until it lands or is given up.
 */
import type { Sql } from './sql';

export interface Webhook {
  id: string;
  site: string;
  url: string;
  secret: string;
  min_churn: number;
  created_at: number;
}

export interface Delivery {
  id: string;
  webhook_id: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_at: number;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
}

export interface Webhooks {
  add(hook: Webhook): Promise<void>;
  list(site: string): Promise<Webhook[]>;
  get(id: string): Promise<Webhook | undefined>;
  remove(site: string, id: string): Promise<boolean>;
  enqueue(d: Delivery): Promise<void>;
  /** Pending deliveries due by `at`, oldest first. */
  due(at: number, limit: number): Promise<Delivery[]>;
  /** The next time a pending delivery is due, if any. */
  nextDue(): Promise<number | undefined>;
  update(d: Pick<Delivery, 'id' | 'status' | 'attempts' | 'next_at' | 'last_error' | 'done_at'>): Promise<void>;
  deliveries(webhookId: string, limit: number): Promise<Delivery[]>;
}

const n = (x: unknown) => Number(x);
const hook = (r: Webhook): Webhook => ({ ...r, min_churn: n(r.min_churn), created_at: n(r.created_at) });
const delivery = (r: Delivery): Delivery => ({
  ...r,
  attempts: n(r.attempts),
  next_at: n(r.next_at),
  created_at: n(r.created_at),
  done_at: r.done_at === null ? null : n(r.done_at),
});
const DELIVERY = 'id, webhook_id, body, status, attempts, next_at, last_error, created_at, done_at';

export function webhooksOver(sql: Sql): Webhooks {
  return {
    async add(h) {
      await sql.run('INSERT INTO webhooks (id, site, url, secret, min_churn, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
        h.id,
        h.site,
        h.url,
        h.secret,
        h.min_churn,
        h.created_at,
      ]);
    },
    async list(site) {
      return (
        await sql.all<Webhook>(
          'SELECT id, site, url, secret, min_churn, created_at FROM webhooks WHERE site = ? ORDER BY created_at',
          [site],
        )
      ).map(hook);
    },
    async get(id) {
      const [row] = await sql.all<Webhook>(
        'SELECT id, site, url, secret, min_churn, created_at FROM webhooks WHERE id = ?',
        [id],
      );
      return row ? hook(row) : undefined;
    },
    async remove(site, id) {
      const found = await sql.all('SELECT id FROM webhooks WHERE site = ? AND id = ?', [site, id]);
      await sql.run('DELETE FROM webhooks WHERE site = ? AND id = ?', [site, id]);
      return found.length > 0;
    },
    async enqueue(d) {
      await sql.run(`INSERT INTO webhook_deliveries (${DELIVERY}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        d.id,
        d.webhook_id,
        d.body,
        d.status,
        d.attempts,
        d.next_at,
        d.last_error,
        d.created_at,
        d.done_at,
      ]);
    },
    async due(at, limit) {
      return (
        await sql.all<Delivery>(
          `SELECT ${DELIVERY} FROM webhook_deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`,
          [at, limit],
        )
      ).map(delivery);
    },
    async nextDue() {
      const [row] = await sql.all<{ next_at: number | null }>(
        "SELECT MIN(next_at) AS next_at FROM webhook_deliveries WHERE status = 'pending'",
      );
      return row?.next_at === null || row?.next_at === undefined ? undefined : n(row.next_at);
    },
    async update(d) {
      await sql.run(
        'UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ?, done_at = ? WHERE id = ?',
        [d.status, d.attempts, d.next_at, d.last_error, d.done_at, d.id],
      );
    },
    async deliveries(webhookId, limit) {
      return (
        await sql.all<Delivery>(
          `SELECT ${DELIVERY} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC LIMIT ?`,
          [webhookId, limit],
        )
      ).map(delivery);
    },
  };
}
