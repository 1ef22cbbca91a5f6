/**
 * @module edge-server/storage/risk-labels — an operator's word on a flagged session: a confirmed
 * bot or a false alarm, set on the dashboard's Risk page; the anomaly trainer learns from them.
 */
import type { RiskSession } from './rollups/types';
import type { Sql } from './sql';

export type RiskLabel = Pick<RiskSession, 'session_id' | 'anonymous_id' | 'label'>;

export interface RiskLabels {
  /** Labels the shopper's session a flag belongs to, every flag of it (null clears it); false when the site has no such flag. */
  set(site: string, eventId: string, label: 'confirmed' | 'false' | null, at: number): Promise<boolean>;
  /** How many flags a shopper's session sent the site (0: it was never flagged there). */
  flagsOf(site: string, anonymousId: string, sessionId: string): Promise<number>;
  /** Every labelled session (of one site, or all), once each: what anomaly training learns from. */
  list(site?: string): Promise<RiskLabel[]>;
}

export function riskLabelsOver(sql: Sql): RiskLabels {
  return {
    async set(site, eventId, label, at) {
      const [found] = await sql.all<{ session_id: string; anonymous_id: string }>(
        'SELECT session_id, anonymous_id FROM risk_flags WHERE site = ? AND event_id = ?',
        [site, eventId],
      );
      if (!found) return false;
      await sql.run(
        'UPDATE risk_flags SET label = ?, labelled_at = ? WHERE site = ? AND anonymous_id = ? AND session_id = ?',
        [label, label ? at : null, site, found.anonymous_id, found.session_id],
      );
      return true;
    },
    async flagsOf(site, anonymousId, sessionId) {
      const [row] = await sql.all<{ n: unknown }>(
        'SELECT COUNT(*) AS n FROM risk_flags WHERE site = ? AND anonymous_id = ? AND session_id = ?',
        [site, anonymousId, sessionId],
      );
      return Number(row?.n ?? 0);
    },
    list(site) {
      return sql.all(
        `SELECT DISTINCT session_id, anonymous_id, label FROM risk_flags WHERE label IS NOT NULL${site ? ' AND site = ?' : ''}`,
        site ? [site] : [],
      );
    },
  };
}
