/** @module capture/types — the tracker's configuration, dependencies, status and interface. */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type { Logger, LogLevel } from '../core/logger';
import type { StoreLimits } from '../store/events';
import type { Connection } from '../sync/connect';
import type { EngineConfig } from '../sync/engine';
import type { FlushResult } from '../sync/outbox';
import type { Consent, ConsentMode, ConsentState } from './consent';
import type { CaptureContext } from './context';

export interface TrackerConfig {
  site: string;
  /** Origin of the edge server. */
  endpoint: string;
  consentMode: ConsentMode;
  /** Query parameters kept in captured URLs. */
  urlParams: readonly string[];
  /** Wait after an event before sending, so that events travel in batches. */
  flushDelayMs: number;
  batchSize: number;
  limits: StoreLimits;
  logLevel: LogLevel;
  /** Share of shoppers (by a stable hash of the anonymous id) held out of recommendations; every event says the group. */
  controlShare: number;
}

export interface TrackerDeps {
  win: Window;
  doc: Document;
  /** Reaches the storage-and-sync engine (in a worker, or on the main thread where workers are refused). */
  connect: (config: EngineConfig, onResult: (r: FlushResult) => void, logger: Logger) => Promise<Connection>;
}

export interface Status {
  /** Filled in by the inference worker once models run; null until then (or without personalisation consent). */
  backend: string | null;
  models: Record<string, { version: number; loadedFrom?: 'network' | 'cache' }>;
  /** Milliseconds the last recommendation or risk check took in the worker. */
  lastInferenceMs?: number;
  consent: ConsentState;
  /** Events captured on this device and not yet acknowledged by the server. */
  queued: number;
  storage: 'indexeddb' | 'memory';
  /** Where storage and sync run: off the main thread in a worker, unless the page forbids it. */
  sync: Connection['mode'] | 'starting';
  errors: string[];
}

export type Listener = (payload: unknown) => void;

export interface Tracker {
  /** Resolves when stored state (ids, consent) is loaded. */
  ready: Promise<void>;
  track(type: string, props?: Record<string, unknown>): void;
  /** Tags later events with a SHA-256 of the id (salted with the site key); `null` forgets it. */
  /**
   * Hashes the shopper's id on the device (salted with the site key) and stamps it on events; with
   * `proof` (HMAC-SHA256 of the hashed id under the site identity secret, made by the merchant's
   * server), the server lets this browser read and erase that shopper's profile too.
   */
  identify(userId: string | null, options?: { proof?: string }): Promise<void>;
  /** Reads consent, or changes part of it and persists the choice. */
  consent(update?: Partial<Consent>): Promise<ConsentState>;
  on(name: string, fn: Listener): () => void;
  /** Tells the page's `aisle.on(name)` listeners (inference results: recommendations, risk). */
  fire(name: string, payload: unknown): void;
  status(): Promise<Status>;
  /** The shopper's local history, newest first. */
  history(limit?: number): Promise<AisleEvent[]>;
  /**
   * Notes that `sessionId` is flagged as risky; true the first time for that session on this
   * device (across pages and tabs, kept with the device's own records), false after.
   */
  firstFlag(sessionId: string): Promise<boolean>;
  flush(): Promise<void>;
  /**
   * Erases everything captured on this device and, with this browser's secret, what the server
   * holds about it; then starts a new anonymous id. The consent choice stays. An erasure the
   * server could not take yet is asked again on the next page.
   */
  erase(): Promise<void>;
  /** What the server holds about this browser's shopper (`GET /v1/me`), or null when it holds nothing. */
  me(): Promise<unknown>;
  /** The context collectors use. */
  context: CaptureContext;
  /** Called by the page lifecycle: the page is hidden or left. */
  hidden(): void;
  leaving(): void;
  /** Called on an in-page navigation: new page context. */
  navigated(): void;
}
