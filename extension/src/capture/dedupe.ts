/** @module capture/dedupe — one action seen through two channels (a click and a dataLayer push) counts once. */

/** Where an event came from. The same channel repeating itself is a real repeat; another channel echoing it is not. */
export type Channel = 'api' | 'datalayer' | 'jsonld' | 'markup';

/**
 * Returns `true` when an event with this key should count: the key is new within `windowMs`, or
 * the channel that first reported it reports it again (a second add-to-cart is a second one).
 */
export function createDeduper(windowMs: number, now: () => number = Date.now) {
  const seen = new Map<string, { at: number; channel: Channel }>();
  return function shouldCount(key: string, channel: Channel, window = windowMs): boolean {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < window && last.channel !== channel) return false;
    seen.set(key, { at: t, channel });
    if (seen.size > 200) {
      for (const [k, v] of seen) if (t - v.at >= windowMs) seen.delete(k);
    }
    return true;
  };
}
