/**
 * @module edge-server/storage/rollups — what the merchant dashboard reads: aggregates of the events
 * table kept current from the events after a watermark, so a page costs the same on a million events
 * as on a thousand. `fold` makes a chunk's aggregates, `write` stores them with the watermark,
 * `refresh` folds what was stored since, `queries` answers the pages. SQLite's writer thread also
 * folds a batch in as it stores it, while the watermark is caught up. Over the same minimal SQL as
 * the registry, so both adapters share it.
 */
import type { Sql } from '../sql';
import { queriesOver } from './queries';
import { refreshOver } from './refresh';
import type { RollupEvent, Rollups } from './types';
import { marks } from './write';

export { type BatchFold, batchFold, type Folded, fold, projection } from './fold';
export * from './types';
export { clicksFor, writeFolded } from './write';

export function rollupsOver(
  sql: Sql,
  kind: 'sqlite' | 'postgres',
  read: (after: number, limit: number, via?: Sql) => Promise<RollupEvent[]>,
): Rollups {
  return {
    refresh: refreshOver(sql, kind, read),
    ...queriesOver(sql),
    async erase(site, ids) {
      if (!ids.length) return;
      const list = marks(ids.length);
      await sql.run(
        `DELETE FROM rec_clicks WHERE site = ? AND session_id IN
           (SELECT session_id FROM rollup_sessions WHERE site = ? AND anonymous_id IN ${list})`,
        [site, site, ...ids],
      );
      for (const table of ['rollup_sessions', 'rollup_shoppers', 'risk_flags'])
        await sql.run(`DELETE FROM ${table} WHERE site = ? AND anonymous_id IN ${list}`, [site, ...ids]);
    },
  };
}
