/**
 * @module edge-server/app — the Hono app: ingest, the shopper's own data, models and catalogue, the
 * storefront scripts, the dashboard, and the one admin sub-app (`/v1/admin`, authenticated once).
 * Every API route is declared with `route()`, which also writes it into `/v1/openapi.json`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { compress } from 'hono/compress';
import { secureHeaders } from 'hono/secure-headers';
import { adminApp } from './api/admin';
import { serveOpenApi } from './api/openapi';
import { ApiError, handleError } from './errors';
import { clientAddress } from './middleware/client-address';
import { floodGuard, type RateLimitOptions } from './middleware/rate-limit';
import { adminRoutes } from './routes/admin';
import { assetsRoute, dashboardAssets } from './routes/assets';
import { dashboardRoutes } from './routes/dashboard';
import { eventsRoute } from './routes/events';
import { meRoute } from './routes/me';
import { FIRST_PAGES_KEPT, modelsRoute } from './routes/models';
import { previewRoutes } from './routes/preview';
import { profilesRoutes } from './routes/profiles';
import { registryRoutes } from './routes/registry';
import type { Storage } from './storage';
import { type DispatcherOptions, webhookDispatcher } from './webhooks';

/** The API's version in `/v1/openapi.json`: the edge server package's. */
const API_VERSION = '0.1.0';

export interface AppOptions {
  storage: Storage;
  operatorToken: string;
  /** Where `aisle.js` was built; default `dist` under the working directory. */
  distDir?: string;
  /** Where the current models and the catalogue are (`aisle train` output); default `.aisle/models`. */
  modelsDir?: string;
  /** Milliseconds a minute spent decoding first-page models for requests before a 503 (default 15 s). */
  firstPageBuildMs?: number;
  /** Webhook retry timing (tests shorten it). */
  webhooks?: Omit<DispatcherOptions, 'now'>;
  rateLimit?: Omit<RateLimitOptions, 'storage' | 'clientId'>;
  /** How often the dashboard's rollups fold in new events (default 10 s; 0: only when a page asks). */
  rollupEveryMs?: number;
  /**
   * How old an event must be before the rollups fold it in. PostgreSQL assigns sequence numbers
   * before commit, so a batch still committing on another node can land below the newest seq seen;
   * default 2 s there, 0 on SQLite (one writer, in order).
   */
  rollupSettleMs?: number;
  /**
   * Proxies in front of this server that append to X-Forwarded-For (a load balancer: 1); the client
   * is the address the outermost one saw. `true` means 1. Default none: the peer's address.
   */
  trustProxy?: boolean | number;
  /** A header the trusted proxy sets to the client's address (`X-Real-IP`), used before X-Forwarded-For. */
  clientIpHeader?: string;
  maxBytes?: number;
  now?: () => number;
}

/** The app with `stop()`, which ends its background work (webhook deliveries, rollups). */
export type App = ReturnType<typeof createApp>;

export function createApp(options: AppOptions) {
  const { storage, operatorToken, distDir = 'dist', modelsDir = '.aisle/models', trustProxy = false } = options;
  const clientId = clientAddress({
    trustedHops: trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy,
    header: options.clientIpHeader,
  });
  const rateLimit = { ...options.rateLimit, clientId };

  // Not strict: /dashboard and /dashboard/ are the same page.
  const app = new OpenAPIHono({ strict: false });
  app.onError(handleError);
  app.notFound((c) => c.json({ error: 'not found', details: [{ path: c.req.path, message: 'no such route' }] }, 404));
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin', contentSecurityPolicy: undefined }));
  app.use('*', floodGuard(rateLimit));

  app.get('/healthz', async (c) => c.json({ ok: true, storage: storage.kind }));
  app.route(
    '/',
    eventsRoute({
      storage,
      maxBytes: options.maxBytes,
      now: options.now,
      rateLimit,
    }),
  );
  app.route('/', meRoute({ storage, now: options.now, rateLimit }));
  // The admin API: one sub-app, the token checked once in front of it; each route says who may call it.
  const admin = adminApp({ token: operatorToken, access: storage.access });
  adminRoutes(admin, { storage });
  const models = modelsRoute({ dir: modelsDir, storage, buildMsPerMinute: options.firstPageBuildMs });
  // The first page's model decoded before shoppers ask: at start, and again when a site's changes.
  // One warm-up at a time per site: a burst of publishes decodes once more after the one running.
  const warming = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const done: Promise<unknown> = work.finally(() => warming.delete(done));
    warming.add(done);
  };
  const perSite = new Map<string, { again: boolean }>();
  let stopped = false;
  const warmSite = (site: string) => {
    const running = perSite.get(site);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    perSite.set(site, state);
    track(
      (async () => {
        do {
          state.again = false;
          if (!stopped) await models.warmFirstPages(site);
        } while (state.again && !stopped);
        perSite.delete(site);
      })(),
    );
  };
  registryRoutes(admin, {
    storage,
    now: options.now,
    onChannel: (site, name) => {
      if (name === 'recommender' || name === 'catalog') warmSite(site);
    },
  });
  const webhooks = webhookDispatcher(storage, { now: options.now, ...options.webhooks });
  webhooks.start();
  profilesRoutes(admin, { storage, now: options.now, webhooks });
  const settleMs = options.rollupSettleMs ?? (storage.kind === 'postgres' ? 2000 : 0);
  dashboardRoutes(admin, { storage, now: options.now, settleMs });
  previewRoutes(admin, { storage });
  app.route('/', admin);
  app.route('/', assetsRoute({ distDir }));
  app.use('/dashboard/*', compress());
  app.route('/', dashboardAssets({ distDir }));
  app.route('/', models);
  serveOpenApi(app, API_VERSION);
  // Anything under /v1 that is not a route still gets a JSON answer, never HTML.
  app.all('/v1/*', () => {
    throw new ApiError(404, 'not found', [{ path: '', message: 'no such API route' }]);
  });
  const rollups = rollupLoop(storage, options.rollupEveryMs ?? 10_000, settleMs, options.now);
  // At start: the directory's model, then the sites' whose recommender changed last, as many as
  // the node keeps decoded (warming more would only evict the first).
  track(
    (async () => {
      let kept = await models.warmFirstPages();
      const published: { site: string; at: number }[] = [];
      for (const { key } of await storage.listSites()) {
        const channels = await storage.registry.channels(key, 'recommender');
        if (channels.length) published.push({ site: key, at: Math.max(...channels.map((c) => c.updated_at)) });
      }
      for (const { site } of published.sort((a, b) => b.at - a.at)) {
        if (stopped || kept >= FIRST_PAGES_KEPT) break;
        kept += await models.warmFirstPages(site);
      }
    })().catch(() => {}), // a storage that cannot list its sites: theirs are decoded when first asked
  );
  // Background work (webhook deliveries, rollups, warm-ups) stops before the storage under it closes.
  return Object.assign(app, {
    /** Settles when every first page being decoded ahead of shoppers (at start, on a publish) is ready. */
    firstPagesWarm: async () => {
      while (warming.size) await Promise.all(warming);
    },
    stop: async () => {
      stopped = true;
      await rollups.stop();
      await webhooks.stop();
      while (warming.size) await Promise.all(warming);
      models.closeFirstPages();
    },
  });
}

/** Keeps the dashboard's rollups current: at once while behind, then every `everyMs`. */
function rollupLoop(storage: Storage, everyMs: number, settleMs: number, now: () => number = Date.now) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  const tick = () => {
    current = storage.rollups.refresh({ now: now(), settleMs }).then(
      ({ done }) => {
        if (!stopped) timer = setTimeout(tick, done ? everyMs : 0).unref();
      },
      (error: Error) => {
        console.error(`aisle: dashboard rollups: ${error.message}`);
        if (!stopped) timer = setTimeout(tick, everyMs).unref();
      },
    );
  };
  if (everyMs > 0) timer = setTimeout(tick, 0).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
