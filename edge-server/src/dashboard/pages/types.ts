/** @module dashboard/pages/types — what every page gets and returns. */
export interface Context {
  site: string;
  role: 'operator' | 'reader';
  /** Draws the page again (after an action changed what it shows). */
  refresh(): void;
}

export type Page = (ctx: Context) => Promise<HTMLElement>;
