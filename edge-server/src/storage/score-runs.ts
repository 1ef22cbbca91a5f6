/**
 * @module edge-server/storage/score-runs — what each scoring job reported (segment sizes, churn
 * bands, model metrics), per site and kind, so the dashboard can say what changed since the last run.
 */
import type { ScoreRun } from './rollups/types';
import type { Sql } from './sql';

export interface ScoreRuns {
  put(site: string, kind: string, at: number, summary: unknown): Promise<void>;
  /** The latest runs of a kind, newest first. */
  latest(site: string, kind: string, limit?: number): Promise<ScoreRun[]>;
}

export function scoreRunsOver(sql: Sql): ScoreRuns {
  return {
    async put(site, kind, at, summary) {
      await sql.run(
        `INSERT INTO score_runs (site, kind, at, summary) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, kind, at) DO UPDATE SET summary = excluded.summary`,
        [site, kind, at, JSON.stringify(summary)],
      );
    },
    async latest(site, kind, limit = 2) {
      const rows = await sql.all<{ at: unknown; summary: string }>(
        'SELECT at, summary FROM score_runs WHERE site = ? AND kind = ? ORDER BY at DESC LIMIT ?',
        [site, kind, limit],
      );
      return rows.map((r) => ({ at: Number(r.at), summary: JSON.parse(r.summary) }));
    },
  };
}
