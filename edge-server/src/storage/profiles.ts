/**
 * @module edge-server/storage/profiles — each shopper's latest segment (from the profile job) and
 * churn risk with its reasons (from the churn job), one row per site and user, written by whichever
 * job ran last; and each site's retention policy. Over the same minimal SQL as the registry.
 */
import type { Sql } from './sql';

export interface ChurnReason {
  feature: string;
  value: string | number;
  effect: number;
  /** The reason in words, where the churn model gives it. */
  text?: string;
}

/** Churn probability from which a shopper is in the high band, and the medium one (see retention's `churnBand`). */
export const HIGH_RISK = 0.6;
export const MEDIUM_RISK = 0.3;

/** The customer-value forecast: orders and spend expected over the next `days`, and the chance they are still active. */
export interface CustomerValue {
  days: number;
  orders: number;
  spend: number;
  /** Null for a customer of one order (BG/NBD lets no one leave before a second). */
  active: number | null;
}

export interface ProfileRecord {
  user_id: string;
  segment_name: string | null;
  tags: string[];
  churn: number | null;
  churn_flagged: boolean | null;
  reasons: ChurnReason[];
  /** Null where the churn model has no value model, or the shopper has not bought yet. */
  value: CustomerValue | null;
  segment_at: number | null;
  churn_at: number | null;
}

export interface ProfileQuery {
  segment?: string;
  minChurn?: number;
  /**
   * `user` (default): by user id, `after` the previous page's last id. `value`: most expected spend
   * first (shoppers without a forecast last), `after` the previous page's last `valueKey`.
   */
  sort?: 'user' | 'value';
  after?: string;
  limit: number;
}

/** Per segment: shoppers with a forecast, their expected orders and spend, and their mean churn risk. */
export interface SegmentValue {
  customers: number;
  orders: number;
  spend: number;
  /** Of `spend`, what shoppers in the high churn band (≥ HIGH_RISK) are expected to spend. */
  spend_high_risk: number;
  churn: number | null;
}

/** Where a page sorted by value ends: its last profile's key (resumes with `after`). */
export const valueKey = (p: Pick<ProfileRecord, 'user_id' | 'value'>) =>
  JSON.stringify([p.value ? p.value.spend : -1, p.user_id]);

export interface Profiles {
  putSegments(
    site: string,
    rows: { user_id: string; segment_name: string; tags: string[] }[],
    at: number,
  ): Promise<void>;
  putChurn(
    site: string,
    rows: { user_id: string; probability: number; flagged: boolean; reasons: ChurnReason[]; value?: CustomerValue }[],
    at: number,
  ): Promise<void>;
  list(site: string, q: ProfileQuery): Promise<ProfileRecord[]>;
  get(site: string, userId: string): Promise<ProfileRecord | undefined>;
  /** Forgets these users of the site; how many rows went. */
  erase(site: string, userIds: readonly string[]): Promise<void>;
  /** Shoppers per churn-probability bin (`bins` equal bins over 0–1), and how many are scored. */
  churnHistogram(site: string, bins: number): Promise<number[]>;
  /** Shoppers per segment as last scored. */
  segmentSizes(site: string): Promise<Record<string, number>>;
  /** Expected orders and spend per segment ('' for shoppers without one), and in all. */
  segmentValue(site: string): Promise<Record<string, SegmentValue>>;
  policy(site: string): Promise<unknown | undefined>;
  putPolicy(site: string, rules: unknown, at: number): Promise<void>;
}

type Row = Omit<ProfileRecord, 'tags' | 'reasons' | 'churn_flagged' | 'value'> & {
  tags: string;
  reasons: string;
  churn_flagged: number | null;
  value_days: unknown;
  value_orders: unknown;
  value_spend: unknown;
  value_active: unknown;
};

const record = (r: Row): ProfileRecord => ({
  user_id: r.user_id,
  segment_name: r.segment_name,
  tags: JSON.parse(r.tags),
  churn: r.churn === null ? null : Number(r.churn),
  churn_flagged: r.churn_flagged === null ? null : Boolean(Number(r.churn_flagged)),
  reasons: JSON.parse(r.reasons),
  value:
    r.value_spend === null || r.value_spend === undefined
      ? null
      : {
          days: Number(r.value_days),
          orders: Number(r.value_orders),
          spend: Number(r.value_spend),
          active: r.value_active === null ? null : Number(r.value_active),
        },
  segment_at: r.segment_at === null ? null : Number(r.segment_at),
  churn_at: r.churn_at === null ? null : Number(r.churn_at),
});

const COLUMNS =
  'user_id, segment_name, tags, churn, churn_flagged, reasons, value_days, value_orders, value_spend, value_active, segment_at, churn_at';
/** The value sort's key: shoppers without a forecast after every one with. */
const SPEND = 'COALESCE(value_spend, -1)';

export function profilesOver(sql: Sql): Profiles {
  return {
    async putSegments(site, rows, at) {
      for (const r of rows) {
        await sql.run(
          `INSERT INTO profiles (site, user_id, segment_name, tags, segment_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (site, user_id) DO UPDATE SET segment_name = excluded.segment_name, tags = excluded.tags,
             segment_at = excluded.segment_at`,
          [site, r.user_id, r.segment_name, JSON.stringify(r.tags), at],
        );
      }
    },
    async putChurn(site, rows, at) {
      for (const r of rows) {
        await sql.run(
          `INSERT INTO profiles (site, user_id, churn, churn_flagged, reasons, value_days, value_orders, value_spend,
             value_active, churn_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (site, user_id) DO UPDATE SET churn = excluded.churn, churn_flagged = excluded.churn_flagged,
             reasons = excluded.reasons, value_days = excluded.value_days, value_orders = excluded.value_orders,
             value_spend = excluded.value_spend, value_active = excluded.value_active, churn_at = excluded.churn_at`,
          [
            site,
            r.user_id,
            r.probability,
            r.flagged ? 1 : 0,
            JSON.stringify(r.reasons),
            r.value?.days ?? null,
            r.value?.orders ?? null,
            // Cents: the value sort's cursor compares the number as stored.
            r.value ? Math.round(r.value.spend * 100) / 100 : null,
            r.value?.active ?? null,
            at,
          ],
        );
      }
    },
    async list(site, q) {
      const where = ['site = ?'];
      const params: unknown[] = [site];
      if (q.segment) {
        where.push('segment_name = ?');
        params.push(q.segment);
      }
      if (q.minChurn !== undefined) {
        where.push('churn >= ?');
        params.push(q.minChurn);
      }
      const byValue = q.sort === 'value';
      if (q.after !== undefined && byValue) {
        const [spend, user] = JSON.parse(q.after) as [number, string];
        where.push(`(${SPEND} < ? OR (${SPEND} = ? AND user_id > ?))`);
        params.push(spend, spend, user);
      } else if (q.after !== undefined) {
        where.push('user_id > ?');
        params.push(q.after);
      }
      params.push(q.limit);
      const rows = await sql.all<Row>(
        `SELECT ${COLUMNS} FROM profiles WHERE ${where.join(' AND ')}
         ORDER BY ${byValue ? `${SPEND} DESC, user_id` : 'user_id'} LIMIT ?`,
        params,
      );
      return rows.map(record);
    },
    async get(site, userId) {
      const [row] = await sql.all<Row>(`SELECT ${COLUMNS} FROM profiles WHERE site = ? AND user_id = ?`, [
        site,
        userId,
      ]);
      return row ? record(row) : undefined;
    },
    async churnHistogram(site, bins) {
      const counts = Array<number>(bins).fill(0);
      const rows = await sql.all<{ churn: unknown }>(
        'SELECT churn FROM profiles WHERE site = ? AND churn IS NOT NULL',
        [site],
      );
      for (const r of rows) counts[Math.min(bins - 1, Math.max(0, Math.floor(Number(r.churn) * bins)))] += 1;
      return counts;
    },
    async segmentSizes(site) {
      const rows = await sql.all<{ segment_name: string; n: unknown }>(
        `SELECT segment_name, COUNT(*) AS n FROM profiles WHERE site = ? AND segment_name IS NOT NULL
         GROUP BY segment_name`,
        [site],
      );
      return Object.fromEntries(rows.map((r) => [r.segment_name, Number(r.n)]));
    },
    async segmentValue(site) {
      const rows = await sql.all<{
        segment: string;
        customers: unknown;
        orders: unknown;
        spend: unknown;
        at_risk: unknown;
        churn: unknown;
      }>(
        `SELECT COALESCE(segment_name, '') AS segment, COUNT(value_spend) AS customers, SUM(value_orders) AS orders,
           SUM(value_spend) AS spend, SUM(CASE WHEN churn >= ? THEN value_spend END) AS at_risk, AVG(churn) AS churn
         FROM profiles WHERE site = ? GROUP BY COALESCE(segment_name, '')`,
        [HIGH_RISK, site],
      );
      return Object.fromEntries(
        rows.map((r) => [
          r.segment,
          {
            customers: Number(r.customers),
            orders: Number(r.orders ?? 0),
            spend: Number(r.spend ?? 0),
            spend_high_risk: Number(r.at_risk ?? 0),
            churn: r.churn === null ? null : Number(r.churn),
          },
        ]),
      );
    },
    async erase(site, userIds) {
      for (const id of userIds) await sql.run('DELETE FROM profiles WHERE site = ? AND user_id = ?', [site, id]);
    },
    async policy(site) {
      const [row] = await sql.all<{ rules: string }>('SELECT rules FROM retention_policies WHERE site = ?', [site]);
      return row ? JSON.parse(row.rules) : undefined;
    },
    async putPolicy(site, rules, at) {
      await sql.run(
        `INSERT INTO retention_policies (site, rules, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (site) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`,
        [site, JSON.stringify(rules), at],
      );
    },
  };
}
