/** @module edge-server/middleware/rate-limit — fixed-window limits per site and per client, counted in storage. */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import type { Storage } from '../storage';
import type { SiteEnv } from './site-key';

export interface RateLimitOptions {
  storage: Storage;
  /** Requests one client (address) may make per site per window. Default 600: ten a second. */
  perClient?: number;
  /** Requests all clients of one site may make per window. Default 60,000. */
  perSite?: number;
  windowMs?: number;
  /** How to tell clients apart; default the peer address, see `clientAddress`. */
  clientId?: (c: Context) => string;
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<SiteEnv> {
  const { storage, perClient = 600, perSite = 60_000, windowMs = 60_000, clientId = () => 'unknown' } = options;
  return async function rateLimitMiddleware(c, next) {
    const now = Date.now();
    const windowStart = now - (now % windowMs);
    const site = c.get('site').key;
    const [client, all] = await Promise.all([
      storage.hit(`c:${site}:${clientId(c)}`, windowStart),
      storage.hit(`s:${site}`, windowStart),
    ]);
    const over =
      client > perClient ? `${perClient} requests per client` : all > perSite ? `${perSite} requests per site` : '';
    if (over) {
      const retryAfter = Math.ceil((windowStart + windowMs - now) / 1000);
      c.header('Retry-After', String(retryAfter));
      throw new ApiError(429, 'rate limit exceeded', [
        { path: '', message: `at most ${over} every ${windowMs / 1000} s; retry in ${retryAfter} s` },
      ]);
    }
    await next();
  };
}
