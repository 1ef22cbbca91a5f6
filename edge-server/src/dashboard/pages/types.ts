/** @module dashboard/pages/types — what every page gets and returns. */
import type { Period } from '../period';

export interface Context {
  site: string;
  role: 'operator' | 'reader';
  /** The period chosen (kept in the URL), and its first and last day (UTC, days since the epoch). */
  period: Period;
  days: { from: number; to: number };
  /** Draws the page again (after an action changed what it shows). */
  refresh(): void;
}

export type Page = (ctx: Context) => Promise<HTMLElement>;
