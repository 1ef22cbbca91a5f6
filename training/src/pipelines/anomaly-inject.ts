/**
 * @module training/pipelines/anomaly-inject — known-bad sessions mixed into a real log, so the
 * anomaly model can be measured on traffic whose truth is known:
 * - a **scripted bot** walks the catalogue: one item after another, each new, at a machine's
 *   steady pace (a base interval of 0.8–4 s with ±10 % jitter), in the log's own commonest event type;
 * - a **card tester** puts one item in the cart and tries card after card: bursts of
 *   `add_payment_info` followed by `payment_failed`, sometimes ending in a `purchase` that went through.
 */
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import { sortByTime } from '../data/interchange';

export type InjectedKind = 'scripted_bot' | 'card_testing';

export interface Injected {
  /** The log with the injected sessions, in time order. */
  events: Interaction[];
  /** Each injected session's id and kind. */
  sessions: Map<string, InjectedKind>;
}

/** Adds `count` injected sessions to `events`, half of each kind, at random moments inside the log's span. */
export function injectSessions(events: readonly Interaction[], count: number, seed = 1): Injected {
  const rnd = random(seed);
  const first = events[0].ts;
  const last = events[events.length - 1].ts;
  const typeCounts = new Map<string, number>();
  const catalogue = new Map<string, Interaction>();
  for (const e of events) {
    typeCounts.set(e.type, (typeCounts.get(e.type) ?? 0) + 1);
    if (e.item_id && !catalogue.has(e.item_id)) catalogue.set(e.item_id, e);
  }
  // A bot that browses with a type the shop never logs would be caught for the wrong reason.
  const browse = [...typeCounts].sort((a, b) => b[1] - a[1])[0][0];
  const items = [...catalogue.values()];
  const pick = () => items[Math.floor(rnd() * items.length)];
  const added: Interaction[] = [];
  const sessions = new Map<string, InjectedKind>();
  const at = (from: Interaction, type: string, ts: number, session: string): Interaction => {
    const row: Interaction = { user_id: session, item_id: from.item_id, type, ts: Math.round(ts), session_id: session };
    if (from.price !== undefined) row.price = from.price;
    if (from.category !== undefined) row.category = from.category;
    return row;
  };
  for (let i = 0; i < count; i++) {
    let t = first + rnd() * Math.max(1, last - first);
    if (i % 2 === 0) {
      const session = `injected-bot-${i}`;
      sessions.set(session, 'scripted_bot');
      const base = 800 + rnd() * 3200;
      const length = 15 + Math.floor(rnd() * 60);
      const seen = new Set<string>();
      for (let k = 0; k < length && seen.size < items.length; k++) {
        let item = pick();
        while (seen.has(item.item_id)) item = pick();
        seen.add(item.item_id);
        added.push(at(item, browse, t, session));
        t += base * (0.9 + 0.2 * rnd());
      }
    } else {
      const session = `injected-card-${i}`;
      sessions.set(session, 'card_testing');
      const item = pick();
      const views = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < views; k++) {
        added.push(at(item, browse, t, session));
        t += 5000 + rnd() * 20_000;
      }
      added.push(at(item, 'add_to_cart', t, session));
      t += 3000 + rnd() * 10_000;
      added.push(at(item, 'begin_checkout', t, session));
      const attempts = 4 + Math.floor(rnd() * 22);
      for (let k = 0; k < attempts; k++) {
        t += 2000 + rnd() * 8000;
        added.push(at(item, 'add_payment_info', t, session));
        t += 800 + rnd() * 2500;
        const lastTry = k === attempts - 1;
        added.push(at(item, lastTry && rnd() < 0.3 ? 'purchase' : 'payment_failed', t, session));
      }
    }
  }
  return { events: sortByTime([...events, ...added]), sessions };
}
