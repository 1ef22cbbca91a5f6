/** @module capture/dedupe — one action seen through two channels (a click and a dataLayer push) counts once. */

/** Where an event came from. The same channel repeating itself is a real repeat; another channel echoing it is not. */
export type Channel = 'api' | 'datalayer' | 'jsonld' | 'markup';

/** Keys remembered at most; older ones are forgotten first. Echoes arrive within a second, so a few hundred is plenty. */
const MAX_KEYS = 256;

/**
 * Returns `true` when an event with this key should count: the key is new within `windowMs`, or
 * the channel that first reported it reports it again (a second add-to-cart is a second one).
 */
export function createDeduper(windowMs: number, now: () => number = Date.now) {
  // A Map iterates in insertion order, and every key is re-inserted when seen: the first key is the stalest.
  const seen = new Map<string, { at: number; channel: Channel }>();
  return function shouldCount(key: string, channel: Channel, window = windowMs): boolean {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < window && last.channel !== channel) return false;
    seen.delete(key);
    seen.set(key, { at: t, channel });
    if (seen.size > MAX_KEYS) seen.delete(seen.keys().next().value as string);
    return true;
  };
}
