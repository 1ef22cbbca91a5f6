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
