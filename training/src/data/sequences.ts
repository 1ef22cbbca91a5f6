/**
 * @module training/data/sequences — shoppers' item histories in time order, and the leave-last-out
 * split that next-item models are judged by: the last item is the test, the one before it the
 * validation, everything earlier the training data. Never a random split across time.
 */
import { createVocabulary, type Vocabulary } from '@aisle/shared-models/features/vocabulary';
import { isItemAction, itemSteps } from '@aisle/shared-models/schema/interaction';
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
  const actions = new Map<string, Interaction[]>();
  for (const r of interactions) {
    if (!isItemAction(r)) continue;
    const list = actions.get(r.user_id);
    if (list) list.push(r);
    else actions.set(r.user_id, [r]);
  }
  const byUser = new Map<string, { items: number[]; types: number[] }>();
  for (const [user, list] of actions) {
    // A click on a card and the page it opened are one step (`itemSteps`), as on the device.
    const steps = itemSteps(list);
    byUser.set(user, {
      items: steps.map((r) => vocabulary.indexOf(r.item_id)),
      types: steps.map((r) => types.indexOf(r.type)),
    });
  }
  return byUser;
}

/** Items in order of first appearance: a stable vocabulary for the same file. */
export function itemVocabulary(interactions: readonly Interaction[]): Vocabulary {
  return createVocabulary(interactions.filter(isItemAction).map((r) => r.item_id));
}

export const typeVocabulary = (interactions: readonly Interaction[]): Vocabulary =>
  createVocabulary(interactions.filter(isItemAction).map((r) => r.type));

export function leaveLastOut(interactions: readonly Interaction[]): LeaveLastOut {
  const vocabulary = itemVocabulary(interactions);
  const types = typeVocabulary(interactions);
  const out: LeaveLastOut = {
    vocabulary,
    types,
    train: [],
    trainTypes: [],
    valid: [],
    test: [],
    ...itemMetadata(interactions, vocabulary),
  };
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
