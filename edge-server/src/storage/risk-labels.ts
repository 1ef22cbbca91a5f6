/**
 * @module edge-server/storage/risk-labels — an operator's word on a flagged session: a confirmed
 * bot or a false alarm, set on the dashboard's Risk page; the anomaly trainer learns from them.
 */
import type { RiskFlag } from './rollups/types';
import type { Sql } from './sql';

export type RiskLabel = Pick<RiskFlag, 'session_id' | 'anonymous_id' | 'label'>;

export interface RiskLabels {
  /** Labels a flag (null clears it); false when the site has no such flag. */
  set(site: string, eventId: string, label: 'confirmed' | 'false' | null, at: number): Promise<boolean>;
  /** Every labelled flag (of one site, or all): what anomaly training learns from. */
  list(site?: string): Promise<RiskLabel[]>;
}

export function riskLabelsOver(sql: Sql): RiskLabels {
  return {
    async set(site, eventId, label, at) {
      const found = await sql.all('SELECT event_id FROM risk_flags WHERE site = ? AND event_id = ?', [site, eventId]);
      if (!found.length) return false;
      await sql.run('UPDATE risk_flags SET label = ?, labelled_at = ? WHERE site = ? AND event_id = ?', [
        label,
        label ? at : null,
        site,
        eventId,
      ]);
      return true;
    },
    list(site) {
      return sql.all(
        `SELECT session_id, anonymous_id, label FROM risk_flags WHERE label IS NOT NULL${site ? ' AND site = ?' : ''}`,
        site ? [site] : [],
      );
    },
  };
}
