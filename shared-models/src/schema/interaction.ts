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

/** The interchange file's columns, in the order `toInterchangeCsv` writes them. */
export const INTERCHANGE_COLUMNS = [
  'user_id',
  'item_id',
  'type',
  'ts',
  'session_id',
  'price',
  'quantity',
  'category',
  'device',
] as const;

const csvCell = (v: string | number | undefined) => {
  if (v === undefined) return '';
  const text = String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Interactions as an interchange CSV (header, one row each, quoted where a value needs it). */
export function toInterchangeCsv(rows: readonly Interaction[]): string {
  const lines = rows.map((r) => INTERCHANGE_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${INTERCHANGE_COLUMNS.join(',')}\n${lines.join('\n')}\n`;
}
