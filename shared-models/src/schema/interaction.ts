/**
 * @module shared-models/schema/interaction — one row of the interchange file the trainer reads
 * (../shared/ARCHITECTURE.md), and what the behaviour features are computed from on every side.
 */

/** One interaction. `item_id` is empty for events about no item (a search, a page view). */
export interface Interaction {
  user_id: string;
  item_id: string;
  type: string;
  /** Milliseconds since 1970. */
  ts: number;
  session_id?: string;
  price?: number;
  quantity?: number;
  category?: string;
  /** `mobile`, `tablet` or `desktop`, where the source says. */
  device?: string;
}
