/**
 * @module edge-server/middleware/rate-limit — fixed-window limits: per site and per client of it,
 * counted in storage (shared by every edge node), and a flood guard per client over every route,
 * counted in this node's memory.
 *
 * A request a client's own limit refuses never counts toward its site's budget: otherwise one
 * client sending far past its share would use up the site's and lock every other shopper out.
 */
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
  /** Requests one client may make to this node per window, over every route. Default 20,000. */
  perClientAllRoutes?: number;
  /** Client addresses the flood guard counts in one window at most (default 200,000). */
  maxClients?: number;
  windowMs?: number;
  /** How to tell clients apart; default the peer address, see `clientAddress`. */
  clientId?: (c: Context) => string;
}

function refuse(c: Context, what: string, windowStart: number, windowMs: number, now: number): never {
  const retryAfter = Math.ceil((windowStart + windowMs - now) / 1000);
  c.header('Retry-After', String(retryAfter));
  throw new ApiError(429, 'rate limit exceeded', [
    { path: '', message: `at most ${what} every ${windowMs / 1000} s; retry in ${retryAfter} s` },
  ]);
}

/** The per-site limit and each client's share of it, for routes that know their site. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<SiteEnv> {
  const { storage, perClient = 600, perSite = 60_000, windowMs = 60_000, clientId = () => 'unknown' } = options;
  return async function rateLimitMiddleware(c, next) {
    const now = Date.now();
    const windowStart = now - (now % windowMs);
    const site = c.get('site').key;
    // The client's own count first: what it refuses is never charged to the site.
    if ((await storage.hit(`c:${site}:${clientId(c)}`, windowStart)) > perClient) {
      refuse(c, `${perClient} requests per client`, windowStart, windowMs, now);
    }
    if ((await storage.hit(`s:${site}`, windowStart)) > perSite) {
      refuse(c, `${perSite} requests per site`, windowStart, windowMs, now);
    }
    await next();
  };
}

/**
 * A bound on what one client can ask of this node on any route (scripts, models, the catalogue,
 * the admin API): counted in memory, so it costs no query; each node guards itself.
 */
export function floodGuard(
  options: Pick<RateLimitOptions, 'perClientAllRoutes' | 'maxClients' | 'windowMs' | 'clientId'>,
): MiddlewareHandler {
  const { perClientAllRoutes = 20_000, maxClients = 200_000, windowMs = 60_000, clientId = () => 'unknown' } = options;
  let windowStart = 0;
  let hits = new Map<string, number>();
  return async function floodGuardMiddleware(c, next) {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      windowStart = now - (now % windowMs);
      hits = new Map();
    }
    const id = clientId(c);
    // Bounded like any map clients can grow: past this many addresses in one window, those seen once
    // are forgotten, and the heavy ones keep their counts.
    if (hits.size >= maxClients && !hits.has(id)) {
      for (const [k, n] of hits) if (n === 1) hits.delete(k);
      if (hits.size >= maxClients) hits = new Map();
    }
    const n = (hits.get(id) ?? 0) + 1;
    hits.set(id, n);
    if (n > perClientAllRoutes) refuse(c, `${perClientAllRoutes} requests per client`, windowStart, windowMs, now);
    await next();
  };
}
