/**
 * @module training/data/sequences — shoppers' item histories in time order, and the leave-last-out
 * split that next-item models are judged by: the last item is the test, the one before it the
 * validation, everything earlier the training data — and the session-based split, the last sessions
 * held out whole. Never a random split across time.
 */
import { sessionize } from '@aisle/shared-models/features/session';
import { createVocabulary, type Vocabulary } from '@aisle/shared-models/features/vocabulary';
import { isItemAction, itemActionsByUser, itemSteps } from '@aisle/shared-models/schema/interaction';
import type { Interaction } from './interchange';

/** A history and the item that came next. */
export interface NextItemCase {
  user: string;
  history: number[];
  /** Event type index of each history item, parallel to `history`. */
  historyTypes: number[];
  target: number;
}

export interface LeaveLastOut {
  vocabulary: Vocabulary;
  /** Event types, index 0 for unknown ones. */
  types: Vocabulary;
  /** Every shopper's history without its last two items (all of it for shoppers with fewer than three). */
  train: number[][];
  trainTypes: number[][];
  /** Second-to-last item after the training history. */
  valid: NextItemCase[];
  /** Last item after everything before it. */
  test: NextItemCase[];
  /** Each item's category (its latest in the file, '' when none) and median price (NaN when none), by index. */
  itemCategories: string[];
  itemPrices: number[];
}

/** Each user's item indexes and event type indexes, oldest first, for interactions already sorted by time. */
export function userSequences(
  interactions: readonly Interaction[],
  vocabulary: Vocabulary,
  types: Vocabulary,
): Map<string, { items: number[]; types: number[] }> {
  const byUser = new Map<string, { items: number[]; types: number[] }>();
  for (const [user, list] of itemActionsByUser(interactions)) {
    // A click on a card and the page it opened are one step (`itemSteps`), as on the device.
    const steps = itemSteps(list);
    byUser.set(user, {
      items: steps.map((r) => vocabulary.indexOf(r.item_id)),
      types: steps.map((r) => types.indexOf(r.type)),
    });
  }
  return byUser;
}

/**
 * Items in order of first appearance: a stable vocabulary for the same file. With `first` (an
 * earlier model's ids), those keep their indexes and the file's new items follow them.
 */
export function itemVocabulary(interactions: readonly Interaction[], first: readonly string[] = []): Vocabulary {
  return createVocabulary([...first, ...interactions.filter(isItemAction).map((r) => r.item_id)]);
}

export const typeVocabulary = (interactions: readonly Interaction[], first: readonly string[] = []): Vocabulary =>
  createVocabulary([...first, ...interactions.filter(isItemAction).map((r) => r.type)]);

/** The ids an earlier model was trained with (its manifest's lists, bucket first): kept at their indexes. */
export interface KeepIndexes {
  items: readonly string[];
  types: readonly string[];
}

/** A split with the vocabularies and item metadata of `interactions`, and no cases yet. */
function emptySplit(interactions: readonly Interaction[], keep?: KeepIndexes): LeaveLastOut {
  const vocabulary = itemVocabulary(interactions, keep?.items.slice(1));
  return {
    vocabulary,
    types: typeVocabulary(interactions, keep?.types.slice(1)),
    train: [],
    trainTypes: [],
    valid: [],
    test: [],
    ...itemMetadata(interactions, vocabulary),
  };
}

export function leaveLastOut(interactions: readonly Interaction[], keep?: KeepIndexes): LeaveLastOut {
  const out = emptySplit(interactions, keep);
  const { vocabulary, types } = out;
  for (const [user, s] of userSequences(interactions, vocabulary, types)) {
    const n = s.items.length;
    const keep = n < 3 ? n : n - 2;
    out.train.push(s.items.slice(0, keep));
    out.trainTypes.push(s.types.slice(0, keep));
    if (n < 3) continue;
    out.valid.push({ user, history: s.items.slice(0, -2), historyTypes: s.types.slice(0, -2), target: s.items[n - 2] });
    out.test.push({ user, history: s.items.slice(0, -1), historyTypes: s.types.slice(0, -1), target: s.items[n - 1] });
  }
  return out;
}

/**
 * The leave-last-out split by orders rather than by events, for purchase histories: an order's
 * lines share a moment, and the next line of the same order is no prediction. The test target is the
 * first line of each customer's last order, after every line before that order; the validation
 * target the first line of the order before, after every line before it; training is everything
 * before that (all of it for customers with fewer than three orders).
 */
export function leaveLastOrderOut(purchases: readonly Interaction[], keep?: KeepIndexes): LeaveLastOut {
  const out = emptySplit(purchases, keep);
  const { vocabulary, types } = out;
  for (const [user, lines] of itemActionsByUser(purchases)) {
    const items = lines.map((r) => vocabulary.indexOf(r.item_id));
    const kinds = lines.map((r) => types.indexOf(r.type));
    // Where each order starts: a line at a new moment.
    const starts = lines.flatMap((r, i) => (i === 0 || r.ts !== lines[i - 1].ts ? [i] : []));
    if (starts.length < 3) {
      out.train.push(items);
      out.trainTypes.push(kinds);
      continue;
    }
    const [before, last] = starts.slice(-2);
    out.train.push(items.slice(0, before));
    out.trainTypes.push(kinds.slice(0, before));
    out.valid.push({
      user,
      history: items.slice(0, before),
      historyTypes: kinds.slice(0, before),
      target: items[before],
    });
    out.test.push({ user, history: items.slice(0, last), historyTypes: kinds.slice(0, last), target: items[last] });
  }
  return out;
}

/** Each item's latest category and median price, by vocabulary index. */
export function itemMetadata(
  interactions: readonly Interaction[],
  vocabulary: Vocabulary,
): { itemCategories: string[]; itemPrices: number[] } {
  const itemCategories = new Array<string>(vocabulary.size).fill('');
  const prices: number[][] = Array.from({ length: vocabulary.size }, () => []);
  for (const r of interactions) {
    const i = vocabulary.indexOf(r.item_id);
    if (!i) continue;
    if (r.category) itemCategories[i] = r.category;
    if (r.price !== undefined && r.price > 0) prices[i].push(r.price);
  }
  const itemPrices = prices.map((p) => {
    if (!p.length) return Number.NaN;
    const sorted = p.sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  });
  return { itemCategories, itemPrices };
}

/** The most of a session's earlier steps a case keeps (SASRec reads 50, and so does session-kNN). */
export const HISTORY_CAP = 50;
/** The largest share of sessions held out for the test (as much again for validation). */
const MAX_HELD_OUT = 0.4;

/** What the session split left out of its cases, for the report. */
export interface SessionSplitInfo {
  sessions: { train: number; valid: number; test: number };
  /** When the first validation session began (ms): a model judged here must have learnt from nothing later. */
  heldOutFrom: number;
  /** Cases whose target no training session holds: no model could have learnt it, so not judged (as the field does). */
  unknownTargets: number;
}

/**
 * The session-based split (the field's own, e.g. Ludewig, Latifi & Jannach 2021): sessions — the
 * rows' `session_id`, else each user's events with no 30-minute pause — in the order they began;
 * the last `share` of them are the test, the `share` before them the validation, the rest training
 * (each session a sequence of its own: an anonymous shopper's one visit). Every next item of a
 * held-out session is a case, predicted from that session's earlier items alone. A step repeating
 * the item just before it (a reload, the cart after the page) is no next item and is dropped.
 * Targets no training session holds are not judged (counted in `info`); a case keeps the session's
 * last `HISTORY_CAP` steps.
 */
export function sessionSplit(
  interactions: readonly Interaction[],
  share = 0.1,
): LeaveLastOut & { info: SessionSplitInfo } {
  if (!(share > 0 && share <= MAX_HELD_OUT))
    throw new RangeError(`share ${share}: expected more than 0 and at most ${MAX_HELD_OUT}`);
  const out = emptySplit(interactions);
  const { vocabulary, types } = out;
  const sessions = [...sessionize(interactions.filter(isItemAction))]
    .map(([id, list]) => {
      const steps = itemSteps(list).filter((r, i, all) => i === 0 || r.item_id !== all[i - 1].item_id);
      return {
        id,
        start: list[0].ts,
        ts: steps.map((r) => r.ts),
        items: steps.map((r) => vocabulary.indexOf(r.item_id)),
        types: steps.map((r) => types.indexOf(r.type)),
      };
    })
    .sort((a, b) => a.start - b.start);
  const held = Math.floor(sessions.length * share);
  const testFrom = sessions.length - held;
  const validFrom = testFrom - held;
  const heldOutFrom = sessions[validFrom]?.start ?? Number.POSITIVE_INFINITY;
  const testStart = sessions[testFrom]?.start ?? Number.POSITIVE_INFINITY;
  // A session that began earlier keeps only its steps before `until`: what came later is the
  // held-out period's, and a model learning or choosing from it would see what it is judged on.
  const before = (s: (typeof sessions)[number], until: number) => {
    const n = s.ts.findIndex((t) => t >= until);
    return n < 0 ? s : { ...s, items: s.items.slice(0, n), types: s.types.slice(0, n) };
  };
  const known = new Set<number>();
  for (const s of sessions.slice(0, validFrom).map((s) => before(s, heldOutFrom))) {
    if (!s.items.length) continue;
    out.train.push(s.items);
    out.trainTypes.push(s.types);
    for (const i of s.items) known.add(i);
  }
  let unknownTargets = 0;
  const cases = (list: typeof sessions) =>
    list.flatMap((s) =>
      s.items.slice(1).flatMap((target, p) => {
        if (!known.has(target)) {
          unknownTargets++;
          return [];
        }
        // The session's last HISTORY_CAP steps: what the models read, and memory that stays linear
        // in a session of thousands of steps (a bot's).
        const from = Math.max(0, p + 1 - HISTORY_CAP);
        return [{ user: s.id, history: s.items.slice(from, p + 1), historyTypes: s.types.slice(from, p + 1), target }];
      }),
    );
  out.valid = cases(sessions.slice(validFrom, testFrom).map((s) => before(s, testStart)));
  out.test = cases(sessions.slice(testFrom));
  return {
    ...out,
    info: {
      sessions: { train: out.train.length, valid: testFrom - validFrom, test: held },
      heldOutFrom,
      unknownTargets,
    },
  };
}
