/** @module edge-server/middleware/site-key — who is sending: the site key, and whether the page's origin may use it. */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import type { Site, Storage } from '../storage';

export type SiteEnv = { Variables: { site: Site } };

const SITE_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `origin` is listed for the site, exactly or by a `https://*.example.com` pattern. */
export function originAllowed(origin: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    if (p === '*' || p === origin) return true;
    const star = p.indexOf('://*.');
    if (star < 0) return false;
    const scheme = p.slice(0, star + 3);
    const suffix = p.slice(star + 4);
    return origin.startsWith(scheme) && origin.endsWith(suffix) && origin.length > scheme.length + suffix.length;
  });
}

export interface SiteKeyOptions {
  storage: Storage;
  /** Sites are read from storage at most this often per key; short, so a changed allow-list applies soon on every node. */
  cacheMs?: number;
  /** What a preflight allows (default POST with Content-Type and X-Aisle-Site). */
  methods?: string;
  headers?: string;
}

/**
 * Resolves the site from `X-Aisle-Site` (or `?site=`, which beacons and preflight-free posts use),
 * refuses unknown keys and origins outside the site's allow-list, and answers CORS for the
 * allowed ones — on errors too, so the page can read why it was refused.
 */
export function siteKey(options: SiteKeyOptions): MiddlewareHandler<SiteEnv> {
  const { storage, cacheMs = 10_000, methods = 'POST, OPTIONS', headers = 'Content-Type, X-Aisle-Site' } = options;
  const cache = new Map<string, { site: Site | null; at: number }>();
  const lookup = async (key: string) => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < cacheMs) return hit.site;
    const site = await storage.getSite(key);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { site, at: Date.now() });
    return site;
  };

  return async function siteKeyMiddleware(c, next) {
    const origin = c.req.header('Origin');
    const key = c.req.header('X-Aisle-Site') ?? c.req.query('site');
    if (c.req.method === 'OPTIONS') {
      // A preflight carries no X-Aisle-Site value, only its name; allow origins that some site lists.
      const sites = key && SITE_KEY.test(key) ? [await lookup(key)] : await storage.listSites();
      if (!origin || !sites.some((s) => s && originAllowed(origin, s.origins))) {
        throw new ApiError(403, 'origin not allowed', [
          { path: 'header Origin', message: `${origin ?? '(none)'} is not in any site's allow-list` },
        ]);
      }
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Methods', methods);
      c.header('Access-Control-Allow-Headers', headers);
      c.header('Access-Control-Max-Age', '600');
      c.header('Vary', 'Origin');
      return c.body(null, 204);
    }
    if (!key) {
      throw new ApiError(401, 'missing site key', [
        { path: 'header X-Aisle-Site', message: 'send the site key in X-Aisle-Site (or ?site=)' },
      ]);
    }
    if (!SITE_KEY.test(key)) {
      throw new ApiError(400, 'malformed site key', [
        { path: 'header X-Aisle-Site', message: 'at most 64 letters, digits, _ or -' },
      ]);
    }
    const site = await lookup(key);
    if (!site)
      throw new ApiError(403, 'unknown site key', [{ path: 'header X-Aisle-Site', message: `no site "${key}"` }]);
    // No Origin: not a browser (a server-side sender); CORS does not apply.
    if (origin) {
      if (!originAllowed(origin, site.origins)) {
        throw new ApiError(403, 'origin not allowed', [
          { path: 'header Origin', message: `${origin} may not send events for site "${key}"` },
        ]);
      }
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Vary', 'Origin');
    }
    c.set('site', site);
    await next();
  };
}
