/**
 * @module edge-server/storage/consent-counts — shoppers' consent choices, counted per site, day and
 * choice, and nothing else (the storefront script sends each new choice with no id): the merchant's
 * consent rate and record of consent.
 */
import type { Sql } from './sql';

export interface ConsentCounts {
  count(site: string, day: number, analytics: boolean, personalization: boolean): Promise<void>;
}

export function consentCountsOver(sql: Sql): ConsentCounts {
  return {
    async count(site, day, analytics, personalization) {
      await sql.run(
        `INSERT INTO consent_counts (site, day, analytics, personalization, n) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (site, day, analytics, personalization) DO UPDATE SET n = consent_counts.n + 1`,
        [site, day, analytics ? 1 : 0, personalization ? 1 : 0],
      );
    },
  };
}
