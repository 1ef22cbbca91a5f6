/**
 * @module edge-server/routes/preview — what the dashboard's recommendation preview reads: the
 * shoppers seen lately and one shopper's recent item events (the operator only: one shopper's
 * visits are no reading for every token; and only what the models read — no page address, no
 * search term, no picture address a shopper's own events could point anywhere, sessions as
 * ordinals), and the site's published recommender versions with their manifests. The dashboard loads each version's shards from the public shard route and runs the
 * device's own serving code on them, side by side, so a merchant judges a model before promoting it.
 */

import { modelHealth } from '@aisle/shared-models/models/health';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { isItemAction, NOT_SHOPPER_ACTIONS } from '@aisle/shared-models/schema/interaction';
import { z } from 'zod';
import type { AdminApp } from '../api/admin';
import { route } from '../api/route';
import { ApiError } from '../errors';
import { parseInput, requireSite } from '../input';
import type { Storage } from '../storage';

const SiteQuery = z.object({ site: z.string().min(1).max(64) });
const ShopperQuery = z.object({ site: z.string().min(1).max(64), anonymous_id: z.string().min(1).max(128) });
/** How many of the newest events the shopper list reads, and how many shoppers it names. */
const RECENT_EVENTS = 3000;
const SHOPPERS = 30;
/** How many of a shopper's newest item events the preview reads: as many as the device reads. */
const HISTORY = 300;
/** The newest versions shown side by side, besides any a channel serves. */
const VERSIONS = 3;

/** An item as the preview shows it and the serving code reads it. */
const itemOf = (i: { item_id: string; item_name?: string; item_category?: string; price?: number }) => ({
  item_id: i.item_id,
  ...(i.item_name ? { item_name: i.item_name } : {}),
  ...(i.item_category ? { item_category: i.item_category } : {}),
  ...(i.price !== undefined ? { price: i.price } : {}),
});

export function previewRoutes(admin: AdminApp, { storage }: { storage: Storage }) {
  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/dashboard/preview/shoppers',
      summary: 'Shoppers seen lately (newest first), to preview recommendations for',
      tag: 'Dashboard',
      access: 'operator',
      query: SiteQuery,
      responses: { 200: '{ shoppers: [{ anonymous_id, last_ts, last_item }] }' },
    },
    async (c) => {
      const q = parseInput(SiteQuery, c.req.query());
      await requireSite(storage, q.site);
      const stored = await storage.events({ site: q.site, newest: true, limit: RECENT_EVENTS });
      // Newest first: each shopper once, with the product of their newest item event.
      const seen = new Map<string, { anonymous_id: string; last_ts: number; last_item: string }>();
      for (const { event: e } of stored) {
        const item = e.items?.[0];
        if (!item || seen.has(e.anonymous_id) || !isItemAction({ type: e.type, item_id: item.item_id })) continue;
        seen.set(e.anonymous_id, {
          anonymous_id: e.anonymous_id,
          last_ts: e.ts,
          last_item: item.item_name ?? item.item_id,
        });
        if (seen.size >= SHOPPERS) break;
      }
      return c.json({ shoppers: [...seen.values()] });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/dashboard/preview/history',
      summary: 'One shopper’s newest item events (oldest first): what the recommender reads',
      tag: 'Dashboard',
      access: 'operator',
      query: ShopperQuery,
      responses: { 200: '{ anonymous_id, events: [{ type, ts, session_id, items }] }', 404: 'no such shopper' },
    },
    async (c) => {
      const q = parseInput(ShopperQuery, c.req.query());
      await requireSite(storage, q.site);
      const stored = await storage.events({ site: q.site, anonymous_id: q.anonymous_id, newest: true, limit: 2000 });
      const kept = stored
        .map(({ event: e }) => e)
        .filter((e) => !NOT_SHOPPER_ACTIONS.has(e.type) && e.items?.length)
        .slice(0, HISTORY)
        .sort((a, b) => a.ts - b.ts);
      // Sessions by their order (s1 the oldest shown): which events share a visit, and which is the last.
      const sessions = new Map<string, string>();
      for (const e of kept) if (!sessions.has(e.session_id)) sessions.set(e.session_id, `s${sessions.size + 1}`);
      const events = kept.map((e) => ({
        type: e.type,
        ts: e.ts,
        session_id: sessions.get(e.session_id),
        items: (e.items ?? []).slice(0, 50).map(itemOf),
      }));
      if (!events.length) {
        throw new ApiError(404, 'no such shopper', [
          { path: 'anonymous_id', message: `${q.site} has no item events of ${q.anonymous_id}` },
        ]);
      }
      return c.json({ anonymous_id: q.anonymous_id, events });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/dashboard/preview/models',
      summary: 'The site’s recommender versions to compare: the newest and those a channel serves, with manifests',
      tag: 'Dashboard',
      access: 'read',
      query: SiteQuery,
      responses: { 200: '{ models: [{ version, published_at, channels, health, manifest }], more, shops }' },
    },
    async (c) => {
      const q = parseInput(SiteQuery, c.req.query());
      await requireSite(storage, q.site);
      // The shop's own addresses (its origins without a wildcard): what its catalogue's relative picture addresses are relative to.
      const shops = ((await storage.getSite(q.site))?.origins ?? []).filter((o) => !o.includes('*'));
      const [versions, channels] = await Promise.all([
        storage.registry.versions(q.site, 'recommender'),
        storage.registry.channels(q.site, 'recommender'),
      ]);
      const serving = new Set(channels.map((ch) => ch.version));
      const newest = versions.sort((a, b) => b.version - a.version);
      const shown = newest.filter((v, i) => i < VERSIONS || serving.has(v.version));
      return c.json({
        models: shown.map((v) => {
          const manifest = JSON.parse(v.manifest) as ModelManifest;
          return {
            version: v.version,
            published_at: new Date(v.created_at).toISOString(),
            channels: channels
              .filter((ch) => ch.version === v.version)
              .map((ch) => ({ channel: ch.channel, rollout: ch.rollout })),
            health: modelHealth('recommender', manifest.metrics),
            manifest,
          };
        }),
        more: newest.length - shown.length,
        shops,
      });
    },
  );
}
