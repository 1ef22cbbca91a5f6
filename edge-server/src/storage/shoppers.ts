/**
 * @module edge-server/storage/shoppers — what the server holds about one shopper, for that shopper:
 * the devices that may ask (a browser's secret, stored only as its SHA-256, bound to the anonymous
 * ids it used), a summary of their events, and erasure of their events, profile and bindings.
 * Erasure reaches the webhook deliveries that named them too. Over the same minimal SQL as the
 * registry: the events table has the same columns in both adapters.
 */
import type { Sql } from './registry';

export interface ShopperSummary {
  events: number;
  byType: Record<string, number>;
  firstTs: number | null;
  lastTs: number | null;
  /** The hashed user ids those events carry (after `aisle.identify`). */
  userIds: string[];
}

export interface Shoppers {
  /** Binds `anonymousId` to a device; false when another device holds it. */
  bind(site: string, anonymousId: string, deviceHash: string, at: number): Promise<boolean>;
  anonymousIds(site: string, deviceHash: string): Promise<string[]>;
  summary(site: string, anonymousIds: readonly string[]): Promise<ShopperSummary>;
  /**
   * Deletes the events of these anonymous ids, the profiles of them and of the user ids their events
   * carried, those people in stored webhook deliveries, and the bindings; the events deleted.
   */
  erase(site: string, anonymousIds: readonly string[], deviceHash: string): Promise<number>;
}

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export function shoppersOver(sql: Sql): Shoppers {
  return {
    async bind(site, anonymousId, deviceHash, at) {
      await sql.run(
        `INSERT INTO devices (site, anonymous_id, device_hash, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, anonymous_id) DO NOTHING`,
        [site, anonymousId, deviceHash, at],
      );
      const [row] = await sql.all<{ device_hash: string }>(
        'SELECT device_hash FROM devices WHERE site = ? AND anonymous_id = ?',
        [site, anonymousId],
      );
      return row?.device_hash === deviceHash;
    },
    async anonymousIds(site, deviceHash) {
      const rows = await sql.all<{ anonymous_id: string }>(
        'SELECT anonymous_id FROM devices WHERE site = ? AND device_hash = ? ORDER BY created_at',
        [site, deviceHash],
      );
      return rows.map((r) => r.anonymous_id);
    },
    async summary(site, ids) {
      const summary: ShopperSummary = { events: 0, byType: {}, firstTs: null, lastTs: null, userIds: [] };
      if (!ids.length) return summary;
      const rows = await sql.all<{ type: string; n: number; first: number; last: number }>(
        `SELECT type, COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last FROM events
         WHERE site = ? AND anonymous_id IN (${list(ids.length)}) GROUP BY type`,
        [site, ...ids],
      );
      for (const r of rows) {
        summary.byType[r.type] = Number(r.n);
        summary.events += Number(r.n);
        summary.firstTs = Math.min(summary.firstTs ?? Number.POSITIVE_INFINITY, Number(r.first));
        summary.lastTs = Math.max(summary.lastTs ?? 0, Number(r.last));
      }
      const users = await sql.all<{ user_id: string }>(
        `SELECT DISTINCT user_id FROM events WHERE site = ? AND anonymous_id IN (${list(ids.length)}) AND user_id IS NOT NULL`,
        [site, ...ids],
      );
      summary.userIds = users.map((u) => u.user_id);
      return summary;
    },
    async erase(site, ids, deviceHash) {
      if (!ids.length) return 0;
      const { events, userIds } = await this.summary(site, ids);
      const people = [...ids, ...userIds];
      await sql.run(`DELETE FROM events WHERE site = ? AND anonymous_id IN (${list(ids.length)})`, [site, ...ids]);
      await sql.run(`DELETE FROM profiles WHERE site = ? AND user_id IN (${list(people.length)})`, [site, ...people]);
      // Pushes to the merchant's CRM that named them keep the other shoppers only (or go, when none is left).
      const gone = new Set(people);
      for (const person of people) {
        const named = await sql.all<{ id: string; body: string }>(
          `SELECT d.id, d.body FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
           WHERE w.site = ? AND d.body LIKE ? ESCAPE '\\'`,
          [site, `%${JSON.stringify(person).replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
        );
        for (const d of named) {
          const body = JSON.parse(d.body) as { users?: { user_id: string }[] };
          const users = (body.users ?? []).filter((u) => !gone.has(u.user_id));
          if (users.length)
            await sql.run('UPDATE webhook_deliveries SET body = ? WHERE id = ?', [
              JSON.stringify({ ...body, users }),
              d.id,
            ]);
          else await sql.run('DELETE FROM webhook_deliveries WHERE id = ?', [d.id]);
        }
      }
      await sql.run('DELETE FROM devices WHERE site = ? AND device_hash = ?', [site, deviceHash]);
      return events;
    },
  };
}
