/** @module edge-server/storage/types — the one interface both storage adapters implement. */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type { Access } from './access';
import type { ConsentCounts } from './consent-counts';
import type { Profiles } from './profiles';
import type { Registry } from './registry';
import type { RiskLabels } from './risk-labels';
import type { Rollups } from './rollups';
import type { ScoreRuns } from './score-runs';
import type { Shoppers } from './shoppers';
import type { Webhooks } from './webhooks';

export interface Site {
  /** Public, write-only key used in the embed tag. */
  key: string;
  name: string;
  /** Origins allowed to send events: `https://shop.example`, or `https://*.shop.example` for subdomains. */
  origins: string[];
  created_at: number;
}

export interface StoredEvent {
  seq: number;
  site: string;
  received_at: number;
  event: AisleEvent;
}

export interface InsertResult {
  accepted: number;
  duplicates: number;
}

export interface Stats {
  events: number;
  byType: Record<string, number>;
  /** Number of registered sites. */
  sites: number;
  bySite: Record<string, number>;
  firstTs: number | null;
  lastTs: number | null;
}

export interface EventQuery {
  site?: string;
  type?: string;
  /** One shopper's events (with `site`, read through the site's shopper index). */
  anonymous_id?: string;
  /** One session's events; with `anonymous_id`, without a scan. */
  session_id?: string;
  /** Return events stored after this sequence number (a cursor). */
  after?: number;
  /** The newest first (with `after`, still only those after it). */
  newest?: boolean;
  limit?: number;
}

export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending schema migrations; resolves to the schema version now in place. */
  migrate(): Promise<number>;
  /** Stores events once each: an `event_id` already stored counts as a duplicate and changes nothing. */
  insertEvents(site: string, events: readonly AisleEvent[], receivedAt: number): Promise<InsertResult>;
  events(query?: EventQuery): Promise<StoredEvent[]>;
  stats(site?: string): Promise<Stats>;
  getSite(key: string): Promise<Site | null>;
  putSite(site: Site): Promise<void>;
  listSites(): Promise<Site[]>;
  /**
   * Counts one hit against `key` in the fixed window starting at `windowStart` and returns the
   * hits so far. Shared by every edge node on the same database.
   */
  hit(key: string, windowStart: number): Promise<number>;
  /** The model registry: signing keys, shards, versions, channels, audit log. */
  readonly registry: Registry;
  /** Each shopper's segment and churn risk as last scored, and the site's retention policy. */
  readonly profiles: Profiles;
  /** Merchants' webhooks and their deliveries. */
  readonly webhooks: Webhooks;
  /** What the server holds about a shopper, for that shopper's own device to read and erase. */
  readonly shoppers: Shoppers;
  /** The dashboard's aggregates of the events. */
  readonly rollups: Rollups;
  /** Operators' labels on flagged sessions (confirmed bot, false alarm). */
  readonly riskLabels: RiskLabels;
  /** Shoppers' consent choices, counted. */
  readonly consentCounts: ConsentCounts;
  /** What each scoring job reported. */
  readonly scoreRuns: ScoreRuns;
  /** Merchants' read-only dashboard tokens. */
  readonly access: Access;
  close(): Promise<void>;
}
