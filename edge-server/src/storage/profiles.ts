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

export interface ProfileRecord {
  user_id: string;
  segment_name: string | null;
  tags: string[];
  churn: number | null;
  churn_flagged: boolean | null;
  reasons: ChurnReason[];
  segment_at: number | null;
  churn_at: number | null;
}

export interface ProfileQuery {
  segment?: string;
  minChurn?: number;
  /** Users after this id (the previous page's `next_cursor`). */
  after?: string;
  limit: number;
}

export interface Profiles {
  putSegments(
    site: string,
    rows: { user_id: string; segment_name: string; tags: string[] }[],
    at: number,
  ): Promise<void>;
  putChurn(
    site: string,
    rows: { user_id: string; probability: number; flagged: boolean; reasons: ChurnReason[] }[],
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
  policy(site: string): Promise<unknown | undefined>;
  putPolicy(site: string, rules: unknown, at: number): Promise<void>;
}

type Row = Omit<ProfileRecord, 'tags' | 'reasons' | 'churn_flagged'> & {
  tags: string;
  reasons: string;
  churn_flagged: number | null;
};

const record = (r: Row): ProfileRecord => ({
  user_id: r.user_id,
  segment_name: r.segment_name,
  tags: JSON.parse(r.tags),
  churn: r.churn === null ? null : Number(r.churn),
  churn_flagged: r.churn_flagged === null ? null : Boolean(Number(r.churn_flagged)),
  reasons: JSON.parse(r.reasons),
  segment_at: r.segment_at === null ? null : Number(r.segment_at),
  churn_at: r.churn_at === null ? null : Number(r.churn_at),
});

const COLUMNS = 'user_id, segment_name, tags, churn, churn_flagged, reasons, segment_at, churn_at';

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
          `INSERT INTO profiles (site, user_id, churn, churn_flagged, reasons, churn_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (site, user_id) DO UPDATE SET churn = excluded.churn, churn_flagged = excluded.churn_flagged,
             reasons = excluded.reasons, churn_at = excluded.churn_at`,
          [site, r.user_id, r.probability, r.flagged ? 1 : 0, JSON.stringify(r.reasons), at],
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
      if (q.after !== undefined) {
        where.push('user_id > ?');
        params.push(q.after);
      }
      params.push(q.limit);
      const rows = await sql.all<Row>(
        `SELECT ${COLUMNS} FROM profiles WHERE ${where.join(' AND ')} ORDER BY user_id LIMIT ?`,
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
