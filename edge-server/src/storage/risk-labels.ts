/**
 * @module edge-server/storage/risk-labels — an operator's word on a flagged session: a confirmed
 * bot or a false alarm, set on the dashboard's Risk page; the anomaly trainer learns from them.
 */
import type { RiskSession } from './rollups/types';
import type { Sql } from './sql';

export type RiskLabel = Pick<RiskSession, 'session_id' | 'anonymous_id' | 'label'>;

export interface RiskLabels {
  /** Labels the session a flag belongs to, every flag of it (null clears it); false when the site has no such flag. */
  set(site: string, eventId: string, label: 'confirmed' | 'false' | null, at: number): Promise<boolean>;
  /** A session's flags on the site: how many, and whose; null when it was never flagged there. */
  flagsOf(site: string, sessionId: string): Promise<{ anonymous_id: string; count: number } | null>;
  /** Every labelled session (of one site, or all), once each: what anomaly training learns from. */
  list(site?: string): Promise<RiskLabel[]>;
}

export function riskLabelsOver(sql: Sql): RiskLabels {
  return {
    async set(site, eventId, label, at) {
      const [found] = await sql.all<{ session_id: string }>(
        'SELECT session_id FROM risk_flags WHERE site = ? AND event_id = ?',
        [site, eventId],
      );
      if (!found) return false;
      await sql.run('UPDATE risk_flags SET label = ?, labelled_at = ? WHERE site = ? AND session_id = ?', [
        label,
        label ? at : null,
        site,
        found.session_id,
      ]);
      return true;
    },
    async flagsOf(site, sessionId) {
      const [row] = await sql.all<{ anonymous_id: string | null; n: unknown }>(
        'SELECT MIN(anonymous_id) AS anonymous_id, COUNT(*) AS n FROM risk_flags WHERE site = ? AND session_id = ?',
        [site, sessionId],
      );
      return row?.anonymous_id ? { anonymous_id: row.anonymous_id, count: Number(row.n) } : null;
    },
    list(site) {
      return sql.all(
        `SELECT DISTINCT session_id, anonymous_id, label FROM risk_flags WHERE label IS NOT NULL${site ? ' AND site = ?' : ''}`,
        site ? [site] : [],
      );
    },
  };
}
