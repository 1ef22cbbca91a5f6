/**
 * @module shared-models/features/vocabulary — ids to dense indexes and back, with index 0 kept for
 * ids the model never saw (the out-of-vocabulary bucket). Travels in a model's manifest as its list.
 */

export interface Vocabulary {
  /** Ids in index order; `ids[0]` is the out-of-vocabulary bucket and is never a real id. */
  readonly ids: readonly string[];
  /** Number of indexes, the bucket included. */
  readonly size: number;
  /** The index of `id`, or 0 when it is unknown. */
  indexOf(id: string): number;
}

export const OOV = 0;
const OOV_ID = '';

/** A vocabulary over `ids` in the order given (duplicates and empty ids skipped). */
export function createVocabulary(ids: Iterable<string>): Vocabulary {
  const list = [OOV_ID];
  const index = new Map<string, number>();
  for (const id of ids) {
    if (id === OOV_ID || index.has(id)) continue;
    index.set(id, list.length);
    list.push(id);
  }
  return { ids: list, size: list.length, indexOf: (id) => index.get(id) ?? OOV };
}

/** The vocabulary a manifest carries (its `ids`, bucket first), rebuilt. */
export function vocabularyFromList(ids: readonly string[]): Vocabulary {
  return createVocabulary(ids.slice(1));
}
