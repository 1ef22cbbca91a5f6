/**
 * @module embed/api — the storefront script's public API, `window.aisle`, as a type: what a
 * merchant's page (and every browser test) may call. Every method is safe to call with anything;
 * none throws.
 */
import type { Listener, Status, Tracker } from '../capture/types';
import type { InferStatus } from '../infer/protocol';

/** `aisle.status()`: the device's store and sync, and what inference reports once it runs. */
export type AisleStatus = Omit<Status, 'backend' | 'models'> &
  Partial<Omit<InferStatus, 'backend' | 'models'>> & {
    backend: InferStatus['backend'];
    models: InferStatus['models'];
  };

export interface AisleApi {
  version: string;
  track(type: string, props?: Record<string, unknown>): void;
  /**
   * Hashes the shopper's id on the device (salted with the site key) and stamps it on events; with
   * `proof` (HMAC-SHA256 of the hashed id under the site identity secret, made by the merchant's
   * server), the server lets this browser read and erase that shopper's profile too.
   */
  identify(userId: string | null, options?: { proof?: string }): Promise<void>;
  consent: Tracker['consent'];
  on(name: string, fn: Listener): () => void;
  status(): Promise<AisleStatus>;
  history: Tracker['history'];
  flush(): Promise<void>;
  erase(): Promise<void>;
  /** What the server holds about this browser's shopper (`GET /v1/me`), or null when it holds nothing. */
  me(): Promise<unknown>;
}

/** The page's `window` once the script has started. */
export interface AisleWindow {
  aisle: AisleApi;
}
