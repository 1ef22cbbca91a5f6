/** @module edge-server/routes/admin — operator endpoints: stats, sites, event export. All need the operator token. */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { jsonBody, parseInput, requireSite } from '../input';
import { operatorAuth } from '../middleware/operator-auth';
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

export function adminRoute({ storage, token }: { storage: Storage; token: string }) {
  const app = new Hono();
  app.use('/v1/admin/*', operatorAuth({ token, access: storage.access }));

  app.get('/v1/admin/stats', async (c) => c.json(await storage.stats(c.req.query('site') || undefined)));

  app.get('/v1/admin/sites', async (c) => c.json({ sites: await storage.listSites() }));

  app.post('/v1/admin/sites', async (c) => {
    const input = parseInput(SiteInput, await jsonBody(c));
    const key = input.key ?? `site_${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const existing = await storage.getSite(key);
    const site = { key, name: input.name, origins: input.origins, created_at: existing?.created_at ?? Date.now() };
    await storage.putSite(site);
    return c.json(site, existing ? 200 : 201);
  });

  // The secret a merchant's server signs a signed-in shopper's hashed user id with, so the device can
  // prove that identity to /v1/me/identity. Made anew on each call (a rotation); shown once.
  app.post('/v1/admin/sites/:site/identity-secret', async (c) => {
    const site = c.req.param('site');
    await requireSite(storage, site);
    const secret = randomBytes(32).toString('base64url');
    await storage.shoppers.setIdentitySecret(site, secret, Date.now());
    return c.json({ site, secret }, 201);
  });

  app.get('/v1/admin/events', async (c) => {
    const q = parseInput(EventsQuery, c.req.query());
    const rows = await storage.events(q);
    return c.json({ events: rows, next: rows.length ? rows[rows.length - 1].seq : (q.after ?? 0) });
  });
  return app;
}
