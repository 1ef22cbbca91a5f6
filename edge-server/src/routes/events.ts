/** @module edge-server/routes/events — `POST /v1/events`: validate every event, keep the valid ones once, say what was wrong with the rest. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../../../shared-models/src/schema/constants';
import { ApiError } from '../errors';
import { ingestBody } from '../ingest';
import { type RateLimitOptions, rateLimit } from '../middleware/rate-limit';
import { type SiteEnv, siteKey } from '../middleware/site-key';
import type { Storage } from '../storage';

export interface EventsRouteOptions {
  storage: Storage;
  rateLimit?: Omit<RateLimitOptions, 'storage'>;
  /** Largest body accepted, in bytes; default 1 MiB. */
  maxBytes?: number;
  now?: () => number;
}

export function eventsRoute(options: EventsRouteOptions) {
  const { storage, maxBytes = LIMITS.batchBytes, now = Date.now } = options;
  const app = new Hono<SiteEnv>();
  app.use('/v1/events', siteKey({ storage }));
  app.post(
    '/v1/events',
    rateLimit({ storage, ...options.rateLimit }),
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => {
        // The rest of the body is never read; a client must not reuse this connection for its next request.
        c.header('Connection', 'close');
        throw new ApiError(413, 'request body too large', [
          { path: '', message: `at most ${maxBytes} bytes per request` },
        ]);
      },
    }),
    async function ingest(c) {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const site = c.get('site').key;
      const receivedAt = now();
      const outcome = storage.ingest
        ? await storage.ingest(site, body, receivedAt)
        : await ingestBody(
            body,
            receivedAt,
            async (events) => (await storage.insertEvents(site, events, receivedAt)).accepted,
          );
      if (!outcome.ok) throw new ApiError(outcome.status, outcome.error, outcome.details);
      return c.json(outcome.result);
    },
  );
  return app;
}
