/** @module edge-server/routes/events — `POST /v1/events`: validate every event, keep the valid ones once, say what was wrong with the rest. */

import { LIMITS } from '@aisle/shared-models/schema/constants';
import { EventFieldsSchema } from '@aisle/shared-models/schema/event';
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { route } from '../api/route';
import { readBody } from '../body';
import { ApiError } from '../errors';
import { ingestBody } from '../ingest';
import { jsonBody, parseInput } from '../input';
import { type RateLimitOptions, rateLimit } from '../middleware/rate-limit';
import { type SiteEnv, siteKey } from '../middleware/site-key';
import type { Storage } from '../storage';
import { DAY_MS } from '../storage/rollups';

/** A shopper's consent choice: nothing else, so it says nothing about who made it. */
const Choice = z.strictObject({ analytics: z.boolean(), personalization: z.boolean() });

export interface EventsRouteOptions {
  storage: Storage;
  rateLimit?: Omit<RateLimitOptions, 'storage'>;
  /** Largest body accepted, in bytes; default 1 MiB. */
  maxBytes?: number;
  now?: () => number;
}

export function eventsRoute(options: EventsRouteOptions) {
  const { storage, maxBytes = LIMITS.batchBytes, now = Date.now } = options;
  const app = new OpenAPIHono<SiteEnv>();
  app.use('/v1/events', siteKey({ storage }));
  route(
    app,
    {
      method: 'post',
      path: '/v1/events',
      summary: 'Send a batch of events (at most 500, 1 MiB); valid ones are kept once, the rest named',
      tag: 'Ingest',
      access: 'public',
      body: z.object({ events: z.array(EventFieldsSchema).max(500) }),
      responses: {
        200: 'accepted, duplicates and the rejected events with their faults',
        403: 'origin not allowed for this site',
        413: 'body too large',
      },
    },
    rateLimit({ storage, ...options.rateLimit }),
    async function ingest(c) {
      const body = await readBody(c, maxBytes);
      const site = c.get('site').key;
      const receivedAt = now();
      const outcome = await ingestBody(
        body,
        receivedAt,
        async (events) => (await storage.insertEvents(site, events, receivedAt)).accepted,
      );
      if (!outcome.ok) throw new ApiError(outcome.status, outcome.error, outcome.details);
      return c.json(outcome.result);
    },
  );

  // The count of consent choices (the storefront script sends each new one, with no id).
  app.use('/v1/consent', siteKey({ storage }));
  route(
    app,
    {
      method: 'post',
      path: '/v1/consent',
      summary: 'Count one consent choice (no id: it says nothing about who made it)',
      tag: 'Ingest',
      access: 'public',
      body: Choice,
      responses: { 200: '{ counted: true }' },
    },
    rateLimit({ storage, ...options.rateLimit }),
    async (c) => {
      const choice = parseInput(Choice, await jsonBody(c, 1024));
      const day = Math.floor(now() / DAY_MS);
      await storage.consentCounts.count(c.get('site').key, day, choice.analytics, choice.personalization);
      return c.json({ counted: true });
    },
  );
  return app;
}
