/**
 * @module edge-server/storage/rollups/types — what the dashboard's aggregates are made of and what
 * their queries answer: the shapes the merchant dashboard reads (it imports them, and nothing that
 * touches a database), and the steps of the funnel as bits.
 */
import type { AisleEvent } from '@aisle/shared-models/schema/event';

/** The types whose items or props the rollups read; of other events only the columns and a few fields. */
export const DETAILED_TYPES = ['rec_impression', 'rec_click', 'purchase', 'risk_flag'] as const;

/**
 * What the rollups need of a stored event: its columns, group, value and currency, and items and
 * props for `DETAILED_TYPES` only. Adapters read it without decoding whole payloads.
 */
export interface RollupEvent {
  seq: number;
  site: string;
  received_at: number;
  event: Pick<
    AisleEvent,
    'event_id' | 'type' | 'ts' | 'anonymous_id' | 'session_id' | 'group' | 'value' | 'currency' | 'items' | 'props'
  >;
}

export const DAY_MS = 86_400_000;
/** Session steps, one bit each: the funnel, and whether recommendations were shown or clicked. */
export const STEP = {
  view_item: 1,
  add_to_cart: 2,
  begin_checkout: 4,
  purchase: 8,
  rec_impression: 16,
  rec_click: 32,
} as const;
export const FUNNEL = ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'] as const;

export interface Range {
  site: string;
  /** First and last day, inclusive (whole UTC days since the epoch). */
  from: number;
  to: number;
}

export interface Overview {
  days: { day: number; byType: Record<string, number>; shoppers: number }[];
  events: number;
  shoppers: number;
  sessions: number;
  funnel: { step: string; sessions: number }[];
  revenue: { currency: string; value: number; orders: number }[];
  consent: { decisions: number; analytics: number; personalization: number };
}

export interface RecResults {
  byModel: {
    model_version: string;
    backend: string;
    impressions: number;
    clicks: number;
    ctr: number;
    purchases: number;
  }[];
  days: { day: number; impressions: number; clicks: number; purchases: number }[];
  groups: { group: 'treatment' | 'control'; sessions: number; with_recs: number; converted: number; rate: number }[];
}

export interface RiskFlag {
  event_id: string;
  session_id: string;
  anonymous_id: string;
  ts: number;
  score: number;
  reasons: string[];
  model_version: string;
  label: 'confirmed' | 'false' | null;
  labelled_at: number | null;
}

/** A flagged session, once however many of its pages sent a flag (older tags sent one per page). */
export interface RiskSession {
  /** The session's first flag: the handle its label is set through. */
  event_id: string;
  session_id: string;
  anonymous_id: string;
  first_ts: number;
  last_ts: number;
  /** How many flag events the session sent. */
  flags: number;
  /** The highest score it reached. */
  score: number;
  /** Every reason any of its flags gave, first seen first. */
  reasons: string[];
  model_version: string;
  label: 'confirmed' | 'false' | null;
  labelled_at: number | null;
}

export interface RiskSummary {
  /** Distinct sessions flagged in the range. */
  total: number;
  /**
   * The sessions that began in the range (flagged or not) and how many of those their own shopper's
   * device flagged, at any time: what the flagged share is of (both 0 when asked with `limit` 0).
   */
  seen: { sessions: number; flagged: number };
  /** The anomaly model versions the range's flags name. */
  model_versions: string[];
  /** Sessions by the day they were first flagged in the range, and how many of them were labelled. */
  days: { day: number; sessions: number; confirmed: number; false: number }[];
  /** In how many sessions each reason was given. */
  reasons: { reason: string; sessions: number }[];
  /** The sessions, the most recently flagged first. */
  sessions: RiskSession[];
}

export interface ScoreRun {
  at: number;
  summary: unknown;
}

export interface Rollups {
  /** Folds in events stored since the last call, for at most `budgetMs`; how many and whether it caught up. */
  refresh(options?: { now?: number; settleMs?: number; budgetMs?: number }): Promise<{ events: number; done: boolean }>;
  /** The watermark: the last event sequence number folded in, and when. */
  state(): Promise<{ seq: number; updated_at: number }>;
  /** The last day with events for the site, or null. */
  lastDay(site: string): Promise<number | null>;
  overview(r: Range): Promise<Overview>;
  recommendations(r: Range): Promise<RecResults>;
  risk(r: Range, limit?: number): Promise<RiskSummary>;
  /** Forgets what the rollups hold of these anonymous ids (their sessions, clicks, flags, daily presence). */
  erase(site: string, anonymousIds: readonly string[]): Promise<void>;
}
