/** @module edge-server/routes/admin — operator endpoints on the admin sub-app: stats, sites, identity secrets, event export. All need the operator token. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AdminApp } from '../api/admin';
import { route } from '../api/route';
import { jsonBody, parseInput, requireSite } from '../input';
import type { Storage } from '../storage';

const SiteInput = z.strictObject({
  key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'at most 64 letters, digits, _ or -')
    .optional(),
  name: z.string().min(1).max(200),
  origins: z
    .array(
      z
        .string()
        .regex(
          /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/,
          'an origin such as https://shop.example or https://*.shop.example',
        ),
    )
    .min(1)
    .max(50),
});

const EventsQuery = z.object({
  site: z.string().max(64).optional(),
  type: z.string().max(40).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

const TAG = 'Sites and events';

export function adminRoutes(admin: AdminApp, { storage }: { storage: Storage }) {
  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/stats',
      summary: 'Counts of stored events (all sites, or one with ?site=)',
      tag: TAG,
      access: 'operator',
      query: z.object({ site: z.string().max(64).optional() }),
      responses: { 200: 'events, sessions and shoppers stored' },
    },
    async (c) => c.json(await storage.stats(c.req.query('site') || undefined)),
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/sites',
      summary: 'The registered sites',
      tag: TAG,
      access: 'operator',
      responses: { 200: '{ sites }' },
    },
    async (c) => c.json({ sites: await storage.listSites() }),
  );

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/sites',
      summary: 'Register a site (or change its name and allowed origins)',
      tag: TAG,
      access: 'operator',
      body: SiteInput,
      responses: { 200: 'the site, changed', 201: 'the site, new' },
    },
    async (c) => {
      const input = parseInput(SiteInput, await jsonBody(c));
      const key = input.key ?? `site_${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
      const existing = await storage.getSite(key);
      const site = { key, name: input.name, origins: input.origins, created_at: existing?.created_at ?? Date.now() };
      await storage.putSite(site);
      return c.json(site, existing ? 200 : 201);
    },
  );

  // The secret a merchant's server signs a signed-in shopper's hashed user id with, so the device can
  // prove that identity to /v1/me/identity. Made anew on each call (a rotation); shown once.
  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/sites/:site/identity-secret',
      summary: 'Make a new identity secret (signed-in shoppers’ proofs); unlinks every earlier link',
      tag: TAG,
      access: 'operator',
      responses: { 201: '{ site, secret }: shown once', 404: 'no such site' },
    },
    async (c) => {
      const site = c.req.param('site');
      await requireSite(storage, site);
      const secret = randomBytes(32).toString('base64url');
      await storage.shoppers.setIdentitySecret(site, secret, Date.now());
      return c.json({ site, secret }, 201);
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/events',
      summary: 'Stored events in order of arrival, a page at a time (after=SEQ)',
      tag: TAG,
      access: 'operator',
      query: EventsQuery,
      responses: { 200: '{ events, next }' },
    },
    async (c) => {
      const q = parseInput(EventsQuery, c.req.query());
      const rows = await storage.events(q);
      return c.json({ events: rows, next: rows.length ? rows[rows.length - 1].seq : (q.after ?? 0) });
    },
  );
}
