/**
 * @module training/data/sequences — shoppers' item histories in time order, and the leave-last-out
 * split that next-item models are judged by: the last item is the test, the one before it the
 * validation, everything earlier the training data. Never a random split across time.
 */
import { createVocabulary, type Vocabulary } from '../../../shared-models/src/features/vocabulary';
import type { Interaction } from './interchange';

/** A history and the item that came next. */
export interface NextItemCase {
  user: string;
  history: number[];
  target: number;
}

export interface LeaveLastOut {
  vocabulary: Vocabulary;
  /** Every shopper's history without its last two items (all of it for shoppers with fewer than three). */
  train: number[][];
  /** Second-to-last item after the training history. */
  valid: NextItemCase[];
  /** Last item after everything before it. */
  test: NextItemCase[];
}

/** Each user's item indexes, oldest first, for interactions already sorted by time. */
export function userSequences(interactions: readonly Interaction[], vocabulary: Vocabulary): Map<string, number[]> {
  const byUser = new Map<string, number[]>();
  for (const r of interactions) {
    if (!r.item_id) continue;
    const s = byUser.get(r.user_id) ?? [];
    byUser.set(r.user_id, s);
    s.push(vocabulary.indexOf(r.item_id));
  }
  return byUser;
}

/** Items in order of first appearance: a stable vocabulary for the same file. */
export function itemVocabulary(interactions: readonly Interaction[]): Vocabulary {
  return createVocabulary(interactions.map((r) => r.item_id));
}

export function leaveLastOut(interactions: readonly Interaction[]): LeaveLastOut {
  const vocabulary = itemVocabulary(interactions);
  const train: number[][] = [];
  const valid: NextItemCase[] = [];
  const test: NextItemCase[] = [];
  for (const [user, s] of userSequences(interactions, vocabulary)) {
    if (s.length < 3) {
      train.push(s);
      continue;
    }
    train.push(s.slice(0, -2));
    valid.push({ user, history: s.slice(0, -2), target: s[s.length - 2] });
    test.push({ user, history: s.slice(0, -1), target: s[s.length - 1] });
  }
  return { vocabulary, train, valid, test };
}
