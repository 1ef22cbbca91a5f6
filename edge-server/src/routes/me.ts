/**
 * @module edge-server/routes/me — the shopper's own view of what the server holds, and its erasure,
 * for the device that made the identity and nobody else.
 *
 * A browser holds a random secret; its anonymous id is derived from it (`deviceAnonymousId`), so
 * presenting the secret (`Authorization: Device SECRET`) proves the id, and knowing the id, the
 * site key or any hash proves nothing. A user id (the hash `aisle.identify` makes) can be computed
 * by anyone who knows the shopper's e-mail, so it joins a device's view only with the merchant's
 * proof: `HMAC-SHA256(site identity secret, user id)`, made by the merchant's server for the shopper
 * it signed in (`POST /v1/me/identity`). `GET /v1/me` answers with the events, segment and churn
 * band of those ids; `DELETE /v1/me` erases them from this store. Both from an origin the site allows.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { deviceAnonymousId } from '@aisle/shared-models/schema/ids';
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { route } from '../api/route';
import { ApiError } from '../errors';
import { jsonBody, parseInput } from '../input';
import { type RateLimitOptions, rateLimit } from '../middleware/rate-limit';
import { type SiteEnv, siteKey } from '../middleware/site-key';
import { churnBand } from '../retention';
import type { Storage } from '../storage';

const HEX64 = /^[0-9a-f]{64}$/;
const Identity = z.strictObject({
  user_id: z.string().regex(HEX64, 'the hashed user id aisle.identify made, 64 lower-case hex digits'),
  proof: z.string().regex(HEX64, 'HMAC-SHA256 of user_id under the site identity secret, 64 lower-case hex digits'),
});

/** The proof a merchant's server makes for a signed-in shopper: HMAC-SHA256(secret, hashed user id), hex. */
export const identityProof = (secret: string, userId: string) =>
  createHmac('sha256', secret).update(userId).digest('hex');

export interface MeRouteOptions {
  storage: Storage;
  now?: () => number;
  rateLimit?: Omit<RateLimitOptions, 'storage'>;
}

export function meRoute({ storage, now = Date.now, rateLimit: limits }: MeRouteOptions) {
  const app = new OpenAPIHono<SiteEnv>();
  const guard = siteKey({
    storage,
    methods: 'GET, POST, DELETE, OPTIONS',
    headers: 'Content-Type, Authorization, X-Aisle-Site',
  });
  // The site guard answers a preflight itself; everything else is counted like events are. Once:
  // `/v1/me/*` matches `/v1/me` too.
  app.use('/v1/me/*', guard, rateLimit({ storage, ...limits }));

  /** The device behind `Authorization: Device SECRET`: its secret's hash, its anonymous id, its proved user ids. */
  const device = async (header: string | undefined, site: string) => {
    const secret = /^Device\s+([A-Za-z0-9_-]{32,128})$/.exec(header ?? '')?.[1];
    if (!secret) {
      throw new ApiError(401, 'missing device secret', [
        { path: 'header Authorization', message: 'send Authorization: Device SECRET (the secret this browser holds)' },
      ]);
    }
    const hash = createHash('sha256').update(secret).digest('hex');
    const [anonymousId, legacy, userIds] = await Promise.all([
      deviceAnonymousId(secret, site),
      storage.shoppers.legacyIds(site, hash),
      storage.shoppers.userIds(site, hash),
    ]);
    return { hash, anonymousIds: [anonymousId, ...legacy], userIds };
  };

  route(
    app,
    {
      method: 'post',
      path: '/v1/me/identity',
      summary: 'Link this browser to a signed-in shopper, with the merchant’s HMAC proof',
      tag: 'Shoppers',
      access: 'shopper',
      body: Identity,
      responses: { 204: 'linked', 403: 'the proof does not verify', 409: 'the site has no identity secret' },
    },
    async (c) => {
      const site = c.get('site').key;
      const { hash } = await device(c.req.header('Authorization'), site);
      const { user_id, proof } = parseInput(Identity, await jsonBody(c, 1024));
      const secret = (await storage.shoppers.identitySecret(site))?.secret;
      if (!secret) {
        throw new ApiError(409, 'identity verification is not set up for this site', [
          {
            path: 'proof',
            message: 'the operator creates the site identity secret first (POST /v1/admin/sites/:site/identity-secret)',
          },
        ]);
      }
      const expected = Buffer.from(identityProof(secret, user_id), 'hex');
      if (!timingSafeEqual(expected, Buffer.from(proof, 'hex'))) {
        throw new ApiError(403, 'proof does not match', [
          { path: 'proof', message: 'not HMAC-SHA256(site identity secret, user_id): only the merchant can make it' },
        ]);
      }
      await storage.shoppers.link(site, hash, user_id, now());
      return c.body(null, 204);
    },
  );

  // The shopper signed out on this browser: what the merchant proved for it is no longer its to read.
  route(
    app,
    {
      method: 'delete',
      path: '/v1/me/identity',
      summary: 'Unlink this browser from its signed-in shoppers (sign-out)',
      tag: 'Shoppers',
      access: 'shopper',
      responses: { 200: '{ unlinked }' },
    },
    async (c) => {
      const { hash } = await device(c.req.header('Authorization'), c.get('site').key);
      return c.json({ unlinked: await storage.shoppers.unlink(c.get('site').key, hash) });
    },
  );

  // The binding of earlier versions let the first browser to ask own any anonymous id: no new ones.
  route(
    app,
    {
      method: 'post',
      path: '/v1/me/device',
      summary: 'Gone: anonymous ids are proved by the device secret',
      tag: 'Shoppers',
      access: 'shopper',
      responses: { 410: 'gone' },
    },
    () => {
      throw new ApiError(410, 'device binding is gone', [
        {
          path: '',
          message: 'anonymous ids are proved by the device secret now; send Authorization: Device SECRET to /v1/me',
        },
      ]);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/me',
      summary: 'What the server holds about this browser’s shopper',
      tag: 'Shoppers',
      access: 'shopper',
      responses: { 200: 'anonymous ids, event counts, segment, churn band and expected orders and spend' },
    },
    async (c) => {
      const site = c.get('site').key;
      const shopper = await device(c.req.header('Authorization'), site);
      const summary = await storage.shoppers.summary(site, shopper);
      // The profile is keyed by the user id where the shopper identified, else by the anonymous id.
      let profile: Awaited<ReturnType<typeof storage.profiles.get>>;
      for (const id of [...shopper.userIds, ...shopper.anonymousIds]) profile ??= await storage.profiles.get(site, id);
      return c.json({
        site,
        anonymous_ids: shopper.anonymousIds,
        identified: shopper.userIds.length > 0,
        events: summary.events,
        by_type: summary.byType,
        first_event: summary.firstTs === null ? null : new Date(summary.firstTs).toISOString(),
        last_event: summary.lastTs === null ? null : new Date(summary.lastTs).toISOString(),
        segment: profile?.segment_name ?? null,
        churn_band: profile ? churnBand(profile) : null,
        // What the shop expects of them too, where it forecasts it: an inference about them is theirs to read.
        expected: profile?.value
          ? { days: profile.value.days, orders: profile.value.orders, spend: profile.value.spend }
          : null,
      });
    },
  );

  route(
    app,
    {
      method: 'delete',
      path: '/v1/me',
      summary: 'Erase what the server holds about this browser’s shopper',
      tag: 'Shoppers',
      access: 'shopper',
      responses: { 200: 'what was erased' },
    },
    async (c) => {
      const site = c.get('site').key;
      const shopper = await device(c.req.header('Authorization'), site);
      const events = await storage.shoppers.erase(site, shopper, shopper.hash);
      // The dashboard's aggregates keep counts only; what they hold per shopper (by anonymous id) goes too.
      await storage.rollups.erase(site, shopper.anonymousIds);
      return c.json({ site, erased: { anonymous_ids: shopper.anonymousIds, events } });
    },
  );

  return app;
}
