/**
 * @module edge-server/storage/shoppers — what the server holds about one shopper, for that shopper:
 * the user ids a device proved with the merchant's signature (`identities`; a device is known only
 * by its secret's SHA-256), the site's identity secret those proofs are checked with, a summary of
 * the shopper's events, and erasure of their events, profiles, identities and the webhook
 * deliveries that named them. Over the same minimal SQL as the registry.
 */
import type { Sql } from './sql';

/** Whose data: the device's own anonymous id, and the user ids it proved. */
export interface Shopper {
  anonymousIds: readonly string[];
  userIds: readonly string[];
}

export interface ShopperSummary {
  events: number;
  byType: Record<string, number>;
  firstTs: number | null;
  lastTs: number | null;
}

export interface Shoppers {
  /** Links a user id, proved by the merchant's signature, to a device. */
  link(site: string, deviceHash: string, userId: string, at: number): Promise<void>;
  /** Unlinks every user id from a device (the shopper signed out on it); how many. */
  unlink(site: string, deviceHash: string): Promise<number>;
  /** The user ids linked to a device. */
  userIds(site: string, deviceHash: string): Promise<string[]>;
  /**
   * The anonymous ids an earlier version bound to this device (the first browser to ask got an id):
   * still honoured for the browsers that made them, never made any more.
   */
  legacyIds(site: string, deviceHash: string): Promise<string[]>;
  summary(site: string, shopper: Shopper): Promise<ShopperSummary>;
  /**
   * In one transaction: deletes the shopper's events (their own anonymous ids', and every event
   * carrying a proved user id), the profiles of exactly those ids, the people in stored webhook
   * deliveries, and the device's identities and legacy bindings; the events deleted. Ids only seen
   * on events (which anyone can send) are never erased on their strength.
   */
  erase(site: string, shopper: Shopper, deviceHash: string): Promise<number>;
  /** The secret the site's proofs are signed with, and when it was made, if it has one. */
  identitySecret(site: string): Promise<{ secret: string; created_at: number } | undefined>;
  /** A new identity secret for the site: the old one's proofs stop, and the devices linked with them are unlinked. */
  setIdentitySecret(site: string, secret: string, at: number): Promise<void>;
}

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** `(anonymous_id IN (…) OR user_id IN (…))` and its values; never empty-handed (`1 = 0` then). */
function whose({ anonymousIds, userIds }: Shopper): { where: string; values: string[] } {
  const parts: string[] = [];
  if (anonymousIds.length) parts.push(`anonymous_id IN (${list(anonymousIds.length)})`);
  if (userIds.length) parts.push(`user_id IN (${list(userIds.length)})`);
  return { where: parts.length ? `(${parts.join(' OR ')})` : '1 = 0', values: [...anonymousIds, ...userIds] };
}

export function shoppersOver(sql: Sql): Shoppers {
  return {
    async link(site, deviceHash, userId, at) {
      await sql.run(
        `INSERT INTO identities (site, device_hash, user_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, device_hash, user_id) DO NOTHING`,
        [site, deviceHash, userId, at],
      );
    },
    async unlink(site, deviceHash) {
      const linked = await this.userIds(site, deviceHash);
      await sql.run('DELETE FROM identities WHERE site = ? AND device_hash = ?', [site, deviceHash]);
      return linked.length;
    },
    async userIds(site, deviceHash) {
      const rows = await sql.all<{ user_id: string }>(
        'SELECT user_id FROM identities WHERE site = ? AND device_hash = ? ORDER BY created_at',
        [site, deviceHash],
      );
      return rows.map((r) => r.user_id);
    },
    async legacyIds(site, deviceHash) {
      const rows = await sql.all<{ anonymous_id: string }>(
        'SELECT anonymous_id FROM legacy_devices WHERE site = ? AND device_hash = ? ORDER BY created_at',
        [site, deviceHash],
      );
      return rows.map((r) => r.anonymous_id);
    },
    async summary(site, shopper) {
      const summary: ShopperSummary = { events: 0, byType: {}, firstTs: null, lastTs: null };
      const { where, values } = whose(shopper);
      const rows = await sql.all<{ type: string; n: number; first: number; last: number }>(
        `SELECT type, COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last FROM events
         WHERE site = ? AND ${where} GROUP BY type`,
        [site, ...values],
      );
      for (const r of rows) {
        summary.byType[r.type] = Number(r.n);
        summary.events += Number(r.n);
        summary.firstTs = Math.min(summary.firstTs ?? Number.POSITIVE_INFINITY, Number(r.first));
        summary.lastTs = Math.max(summary.lastTs ?? 0, Number(r.last));
      }
      return summary;
    },
    erase(site, shopper, deviceHash) {
      return sql.transaction(async (tx) => {
        const { where, values } = whose(shopper);
        const [counted] = await tx.all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM events WHERE site = ? AND ${where}`, [
          site,
          ...values,
        ]);
        await tx.run(`DELETE FROM events WHERE site = ? AND ${where}`, [site, ...values]);
        const people = values;
        if (people.length) {
          await tx.run(`DELETE FROM profiles WHERE site = ? AND user_id IN (${list(people.length)})`, [
            site,
            ...people,
          ]);
        }
        // Pushes to the merchant's CRM that named them keep the other shoppers only (or go, when none is left).
        const gone = new Set(people);
        for (const person of people) {
          const named = await tx.all<{ id: string; body: string }>(
            `SELECT d.id, d.body FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE w.site = ? AND d.body LIKE ? ESCAPE '\\'`,
            [site, `%${JSON.stringify(person).replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
          );
          for (const d of named) {
            const body = JSON.parse(d.body) as { users?: { user_id: string }[] };
            const users = (body.users ?? []).filter((u) => !gone.has(u.user_id));
            if (users.length) {
              await tx.run('UPDATE webhook_deliveries SET body = ? WHERE id = ?', [
                JSON.stringify({ ...body, users }),
                d.id,
              ]);
            } else await tx.run('DELETE FROM webhook_deliveries WHERE id = ?', [d.id]);
          }
        }
        await tx.run('DELETE FROM identities WHERE site = ? AND device_hash = ?', [site, deviceHash]);
        await tx.run('DELETE FROM legacy_devices WHERE site = ? AND device_hash = ?', [site, deviceHash]);
        return Number(counted?.n ?? 0);
      });
    },
    async identitySecret(site) {
      const [row] = await sql.all<{ secret: string; created_at: unknown }>(
        'SELECT secret, created_at FROM identity_secrets WHERE site = ?',
        [site],
      );
      return row && { secret: row.secret, created_at: Number(row.created_at) };
    },
    setIdentitySecret(site, secret, at) {
      return sql.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO identity_secrets (site, secret, created_at) VALUES (?, ?, ?)
           ON CONFLICT (site) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`,
          [site, secret, at],
        );
        // A secret is made anew when the old one may have leaked: what it proved is proved no longer.
        await tx.run('DELETE FROM identities WHERE site = ?', [site]);
      });
    },
  };
}
