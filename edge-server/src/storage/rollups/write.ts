/**
 * @module edge-server/storage/rollups/write — what folding needs of the store and what it leaves in
 * it: the recommendation clicks a chunk's purchases may be attributed to, and the upserts of a
 * chunk's aggregates with the watermark, inside the caller's transaction.
 */
import type { Sql } from '../sql';
import type { Folded } from './fold';
import type { RollupEvent } from './types';

/** Rows per multi-row INSERT. */
const ROWS = 100;
export const marks = (k: number) => `(${Array(k).fill('?').join(', ')})`;

/** Multi-row upserts of `rows` (each `width` values), `ROWS` at a time. */
async function insertRows(tx: Sql, head: string, tail: string, width: number, rows: unknown[][]) {
  for (let i = 0; i < rows.length; i += ROWS) {
    const part = rows.slice(i, i + ROWS);
    await tx.run(`${head} VALUES ${part.map(() => marks(width)).join(', ')} ${tail}`, part.flat());
  }
}

/** Rec clicks already folded in for the sessions of this chunk's purchases. */
export async function clicksFor(sql: Sql, events: readonly RollupEvent[]) {
  const bySite = new Map<string, Set<string>>();
  for (const { site, event } of events) {
    if (event.type !== 'purchase') continue;
    const set = bySite.get(site) ?? new Set<string>();
    bySite.set(site, set);
    set.add(event.session_id);
  }
  const known = new Map<string, [string, string]>();
  for (const [site, set] of bySite) {
    const ids = [...set];
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = await sql.all<{ session_id: string; item_id: string; model_version: string; backend: string }>(
        `SELECT session_id, item_id, model_version, backend FROM rec_clicks WHERE site = ? AND session_id IN ${marks(part.length)}`,
        [site, ...part],
      );
      for (const r of rows) known.set(`${site}\0${r.session_id}\0${r.item_id}`, [r.model_version, r.backend]);
    }
  }
  return known;
}

/** Adds a chunk's aggregates to the rollup tables and moves the watermark to `to`, inside the caller's transaction. */
export async function writeFolded(tx: Sql, agg: Folded, to: number, now: number) {
  await insertRows(
    tx,
    'INSERT INTO rollup_daily (site, day, type, currency, events, value)',
    `ON CONFLICT (site, day, type, currency) DO UPDATE SET events = rollup_daily.events + excluded.events,
     value = rollup_daily.value + excluded.value`,
    6,
    [...agg.daily.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rollup_shoppers (site, day, anonymous_id)',
    'ON CONFLICT (site, day, anonymous_id) DO NOTHING',
    3,
    [...agg.shoppers.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rollup_sessions (site, session_id, anonymous_id, day, steps, grp)',
    `ON CONFLICT (site, session_id) DO UPDATE SET steps = rollup_sessions.steps | excluded.steps,
     grp = COALESCE(rollup_sessions.grp, excluded.grp)`,
    6,
    [...agg.sessions.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rollup_recs (site, day, model_version, backend, impressions, clicks, purchases)',
    `ON CONFLICT (site, day, model_version, backend) DO UPDATE SET
     impressions = rollup_recs.impressions + excluded.impressions, clicks = rollup_recs.clicks + excluded.clicks,
     purchases = rollup_recs.purchases + excluded.purchases`,
    7,
    [...agg.recs.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rec_clicks (site, session_id, item_id, model_version, backend)',
    'ON CONFLICT (site, session_id, item_id) DO NOTHING',
    5,
    [...agg.clicks.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO risk_flags (event_id, site, session_id, anonymous_id, ts, score, reasons, model_version)',
    'ON CONFLICT (event_id) DO NOTHING',
    8,
    agg.flags,
  );
  await tx.run(`UPDATE rollup_state SET seq = ?, updated_at = ? WHERE id = 'events'`, [to, now]);
}
