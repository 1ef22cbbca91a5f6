/**
 * @module edge-server/routes/me — the shopper's own view of what the server holds, and its erasure.
 * A browser binds its anonymous ids to a device secret it alone holds (the server keeps only the
 * secret's SHA-256); `GET /v1/me` answers with the events count, segment and churn band for those
 * ids, `DELETE /v1/me` erases their events and profile from this store — both only with that
 * secret (`Authorization: Device SECRET`), from an origin the site allows.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../errors';
import { jsonBody, parseInput } from '../input';
import { type SiteEnv, siteKey } from '../middleware/site-key';
import { churnBand } from '../retention';
import type { Storage } from '../storage';

const Bind = z.strictObject({
  anonymous_id: z.string().min(1).max(64),
  device_hash: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the device secret, 64 lower-case hex digits'),
});

export const deviceHash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function meRoute({ storage, now = Date.now }: { storage: Storage; now?: () => number }) {
  const app = new Hono<SiteEnv>();
  app.use(
    '/v1/me/*',
    siteKey({ storage, methods: 'GET, POST, DELETE, OPTIONS', headers: 'Content-Type, Authorization, X-Aisle-Site' }),
  );
  app.use(
    '/v1/me',
    siteKey({ storage, methods: 'GET, POST, DELETE, OPTIONS', headers: 'Content-Type, Authorization, X-Aisle-Site' }),
  );

  /** The device behind `Authorization: Device SECRET`, and the anonymous ids it holds; 401 otherwise. */
  const device = async (header: string | undefined, site: string) => {
    const secret = /^Device\s+([A-Za-z0-9_-]{32,128})$/.exec(header ?? '')?.[1];
    if (!secret) {
      throw new ApiError(401, 'missing device secret', [
        { path: 'header Authorization', message: 'send Authorization: Device SECRET (the secret this browser holds)' },
      ]);
    }
    const hash = deviceHash(secret);
    const ids = await storage.shoppers.anonymousIds(site, hash);
    if (!ids.length) {
      throw new ApiError(401, 'unknown device', [
        { path: 'header Authorization', message: 'no shopper data is bound to this device secret' },
      ]);
    }
    return { hash, ids };
  };

  app.post('/v1/me/device', async (c) => {
    const { anonymous_id, device_hash } = parseInput(Bind, await jsonBody(c.req));
    const site = c.get('site').key;
    if (!(await storage.shoppers.bind(site, anonymous_id, device_hash, now()))) {
      throw new ApiError(409, 'anonymous id held by another device', [
        { path: 'anonymous_id', message: 'this anonymous id is bound to another browser' },
      ]);
    }
    return c.body(null, 204);
  });

  app.get('/v1/me', async (c) => {
    const site = c.get('site').key;
    const { ids } = await device(c.req.header('Authorization'), site);
    const summary = await storage.shoppers.summary(site, ids);
    // The profile is keyed by the user id where the shopper identified, else by the anonymous id.
    let profile: Awaited<ReturnType<typeof storage.profiles.get>>;
    for (const id of [...summary.userIds, ...ids]) profile ??= await storage.profiles.get(site, id);
    return c.json({
      site,
      anonymous_ids: ids,
      events: summary.events,
      by_type: summary.byType,
      first_event: summary.firstTs === null ? null : new Date(summary.firstTs).toISOString(),
      last_event: summary.lastTs === null ? null : new Date(summary.lastTs).toISOString(),
      segment: profile?.segment_name ?? null,
      churn_band: profile ? churnBand(profile) : null,
    });
  });

  app.delete('/v1/me', async (c) => {
    const site = c.get('site').key;
    const { hash, ids } = await device(c.req.header('Authorization'), site);
    const events = await storage.shoppers.erase(site, ids, hash);
    // The dashboard's aggregates keep counts only; what they hold per shopper goes too.
    await storage.rollups.erase(site, ids);
    return c.json({ site, erased: { anonymous_ids: ids, events } });
  });

  return app;
}
