/** @module sync/backoff — exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015). */

export interface Backoff {
  /** The next delay in ms; at least `minMs` (a server's Retry-After) when given. */
  next(minMs?: number): number;
  reset(): void;
  readonly attempts: number;
}

/** Delays are uniform in [0, min(cap, base * 2^attempt)]: spreading retries stops a fleet of devices returning in step. */
export function createBackoff(baseMs = 1000, capMs = 5 * 60_000, random: () => number = Math.random): Backoff {
  let attempts = 0;
  return {
    next(minMs = 0) {
      const ceiling = Math.min(capMs, baseMs * 2 ** attempts);
      attempts++;
      return Math.max(minMs, Math.round(random() * ceiling));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
