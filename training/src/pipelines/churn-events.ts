/**
 * @module training/pipelines/churn-events — churn from behaviour: each user's behaviour up to a
 * cut-off as the features, and as the label whether they went on to buy (or, by visits, to come
 * back at all) within the horizon after it. The table then trains like any customer table.
 */
import { BEHAVIOUR_COLUMNS, behaviourRows } from '@aisle/shared-models/features/behaviour';
import { latestTs } from '@aisle/shared-models/schema/interaction';
import { DataError } from '../data/errors';
import { type Interaction, parseTs } from '../data/interchange';
import type { Table } from '../data/table';

export type LabelBy = 'purchase' | 'visit';
const DAY = 86_400_000;

/** Milliseconds in `30d`, `4w` or `12h`. */
export function parseHorizon(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dwh])$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new DataError(`--horizon ${text}: expected a duration such as 30d, 4w or 12h`);
  return Number(m[1]) * { d: DAY, w: 7 * DAY, h: DAY / 24 }[m[2] as 'd' | 'w' | 'h'];
}

/** The cut-off from `--as-of` (ISO 8601, unix seconds or milliseconds). */
export function parseAsOf(text: string): number {
  const ts = parseTs(text);
  if (ts === undefined)
    throw new DataError(`--as-of ${text}: expected a date (ISO 8601, unix seconds or milliseconds)`);
  return ts;
}

/** The user × behaviour table at `asOf`, with `churned` = yes/no from what happened in the horizon after it. */
export function labelledBehaviour(
  events: readonly Interaction[],
  asOf: number,
  horizon: number,
  labelBy: LabelBy,
): Table {
  const before = events.filter((e) => e.ts <= asOf).length;
  if (!before) throw new DataError(`no events at or before --as-of ${new Date(asOf).toISOString()}`);
  const end = latestTs(events);
  if (end < asOf + horizon) {
    const days = Math.max(0, (end - asOf) / DAY).toFixed(1);
    throw new DataError(
      `the events end ${days} days after --as-of, before the ${horizon / DAY}-day horizon does: every user would look churned`,
    );
  }
  const stayed = new Set(
    events
      .filter((e) => e.ts > asOf && e.ts <= asOf + horizon && (labelBy === 'visit' || e.type === 'purchase'))
      .map((e) => e.user_id),
  );
  const rows = [...behaviourRows(events, asOf)].map(([user, row]) => ({
    user_id: user,
    ...row,
    churned: stayed.has(user) ? 'no' : 'yes',
  }));
  return { columns: ['user_id', ...BEHAVIOUR_COLUMNS, 'churned'], rows };
}

/**
 * The behaviour table over several cut-offs (sorted), each one's customers as they were then, so a
 * model sees the seasons: the last cut-off's rows are the test set (`testRows`), the earlier ones
 * train and validate, split by customer (`groups`). A `DataError` when an earlier cut-off's horizon
 * reaches past the last: its labels would see the period judged on. One cut-off: the table alone.
 */
export function rollingBehaviour(
  events: readonly Interaction[],
  cutOffs: readonly number[],
  horizon: number,
  labelBy: LabelBy,
) {
  const last = cutOffs[cutOffs.length - 1];
  const iso = (ts: number) => new Date(ts).toISOString();
  for (const cutOff of cutOffs.slice(0, -1)) {
    if (cutOff + horizon > last)
      throw new DataError(
        `--as-of ${iso(cutOff)}: its ${horizon / DAY}-day horizon reaches past the last cut-off ${iso(last)}, which is judged: a training label would see the test period`,
      );
  }
  const tables = cutOffs.map((cutOff) => labelledBehaviour(events, cutOff, horizon, labelBy));
  const rows = tables.flatMap((t) => t.rows);
  const testFrom = rows.length - tables[tables.length - 1].rows.length;
  return {
    table: { columns: tables[0].columns, rows } satisfies Table,
    split:
      cutOffs.length > 1
        ? {
            testRows: new Set<number>(Array.from({ length: rows.length - testFrom }, (_, k) => testFrom + k)),
            groups: rows.map((r) => r.user_id ?? ''),
            periods: tables.flatMap((t, k) => t.rows.map(() => k)),
          }
        : {},
    settings: {
      as_of: iso(last),
      ...(cutOffs.length > 1 ? { cut_offs: cutOffs.map(iso) } : {}),
      horizon_days: horizon / DAY,
      label_by: labelBy,
    } as const,
  };
}
