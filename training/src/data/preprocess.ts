/**
 * @module training/data/preprocess — what every command does to events before a model sees them:
 * exact duplicates and impossible events (from the future, negative prices, no quantity) left out,
 * and, for training, the sessions that are plainly no person (`botSignals`) too. Everything left
 * out is counted, and the counts are reported.
 */
import { botSignals, sessionize, sessionRow } from '@aisle/shared-models/features/session';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { countDrop, type Dropped } from './interchange';

/** Events stamped more than a day ahead of the clock are impossible (a day covers skewed clocks and time zones). */
const FUTURE_SLACK_MS = 86_400_000;

export interface PreprocessOptions {
  /** Leave out sessions with bot signals (for training, not for scoring). */
  excludeBots?: boolean;
  /** Sessions an operator marked as no bot (a risk flag labelled a false alarm): never left out as bot-like. */
  humans?: ReadonlySet<string>;
  now?: number;
}

export function preprocess(
  events: readonly Interaction[],
  dropped: Dropped,
  { excludeBots = false, humans, now = Date.now() }: PreprocessOptions = {},
): Interaction[] {
  const seen = new Set<string>();
  const kept: Interaction[] = [];
  for (const e of events) {
    const where = `user ${e.user_id} at ${new Date(e.ts).toISOString()}`;
    const key = JSON.stringify([e.user_id, e.item_id, e.type, e.ts, e.session_id ?? '']);
    if (seen.has(key)) {
      countDrop(dropped, 'duplicate of an earlier event', where);
      continue;
    }
    seen.add(key);
    if (e.ts > now + FUTURE_SLACK_MS) countDrop(dropped, 'time in the future', where);
    else if (e.price !== undefined && e.price < 0) countDrop(dropped, 'negative price', where);
    else if (e.quantity !== undefined && e.quantity <= 0) countDrop(dropped, 'quantity of zero or less', where);
    else kept.push(e);
  }
  if (!excludeBots) return kept;
  const bots = new Set<Interaction>();
  for (const [id, list] of sessionize(kept)) {
    if (humans?.has(id)) continue;
    const signals = botSignals(sessionRow(list));
    if (!signals.length) continue;
    for (const e of list) bots.add(e);
    // Counted per event, like everything else here; the reason names the session-level signal.
    for (const _ of list) countDrop(dropped, `in a bot-like session (${signals[0]})`, `session ${id}`);
  }
  return bots.size ? kept.filter((e) => !bots.has(e)) : kept;
}

/** One line for the operator: `dropped 12 of 10,000 events: 9 duplicate… (first: …); …`. */
export function describeDropped(dropped: Dropped, total: number): string | undefined {
  if (!dropped.size) return undefined;
  const count = [...dropped.values()].reduce((s, d) => s + d.count, 0);
  const parts = [...dropped]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, d]) => `${d.count.toLocaleString('en')} ${reason} (first: ${d.first})`);
  return `left out ${count.toLocaleString('en')} of ${total.toLocaleString('en')} events: ${parts.join('; ')}`;
}
