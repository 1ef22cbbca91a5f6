/** @module edge-server/routes/events — `POST /v1/events`: validate every event, keep the valid ones once, say what was wrong with the rest. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../../../shared-models/src/schema/constants';
import { validateBatch } from '../../../shared-models/src/schema/validate';
import { ApiError } from '../errors';
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
      const text = await c.req.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (cause) {
        throw new ApiError(400, 'request body is not valid JSON', [{ path: '', message: (cause as Error).message }]);
      }
      const events = (body as { events?: unknown } | null)?.events;
      if (!body || typeof body !== 'object' || !Array.isArray(events)) {
        throw new ApiError(400, 'request body must be { "events": [...] }', [
          { path: 'events', message: 'expected an array' },
        ]);
      }
      if (events.length > LIMITS.batchEvents) {
        throw new ApiError(413, 'too many events in one request', [
          { path: 'events', message: `got ${events.length}, at most ${LIMITS.batchEvents} per request` },
        ]);
      }
      const receivedAt = now();
      const checked = validateBatch(events, receivedAt);
      // A string over its limit is a broken client or abuse, not a typo: refuse the request and name
      // the events, so that a well-behaved client drops exactly those and resends the rest.
      if (checked.overLong.length) {
        throw new ApiError(
          400,
          'field too long',
          checked.overLong.flatMap((r) => r.errors.map((e) => ({ index: r.index, ...e }))),
        );
      }
      const { accepted, duplicates } = await storage.insertEvents(c.get('site').key, checked.valid, receivedAt);
      return c.json({ accepted, duplicates, rejected: checked.rejected });
    },
  );
  return app;
}
