/**
 * @module edge-server/routes/dashboard — the API behind the merchant dashboard (`/dashboard/`):
 * each page's numbers in one request, read from the rollups (never a scan of the events table),
 * plus what merchants act on there — risk-flag labels, read-only tokens, scoring-run summaries.
 * Readers (read-only tokens) get the GET routes for their own site; marked `read` on each route (see api/access).
 */

import { type FlagRate, flagRate, modelHealth } from '@aisle/shared-models/models/health';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import type { Handler } from 'hono';
import { z } from 'zod';
import type { AdminApp, AdminEnv } from '../api/admin';
import { route } from '../api/route';
import { churnModelOf } from '../churn-model';
import { ApiError } from '../errors';
import { jsonBody, parseInput, requireSite } from '../input';
import { churnBand } from '../retention';
import type { Storage } from '../storage';
import type { SegmentValue } from '../storage/profiles';
import { DAY_MS, type Overview, type Range, type RecResults, type RiskSummary } from '../storage/rollups';

const RangeQuery = z.object({
  site: z.string().min(1).max(64),
  days: z.coerce.number().int().min(1).max(366).default(30),
  /** The last day shown (days since the epoch); default the last day with events. */
  to: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** The first day shown (days since the epoch), for a custom range; `days` then follows from it. */
  from: z.coerce.number().int().min(0).max(1_000_000).optional(),
});
/** The longest range a page shows. */
const MAX_DAYS = 366;
const SiteQuery = z.object({ site: z.string().min(1).max(64) });
const SessionQuery = z.object({
  site: z.string().min(1).max(64),
  anonymous_id: z.string().min(1).max(128),
  session_id: z.string().min(1).max(128),
});
/** How many of a flagged session's newest events its page shows. */
const SESSION_EVENTS = 200;
/** A page address without its query or fragment (a search's terms stay on the search page's own events). */
const pathOf = (url: string) => {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
};
const Label = z.strictObject({ site: z.string().min(1).max(64), label: z.enum(['confirmed', 'false']).nullable() });
const TokenInput = z.strictObject({ site: z.string().min(1).max(64), name: z.string().min(1).max(100) });
const RunInput = z.strictObject({
  site: z.string().min(1).max(64),
  kind: z.enum(['profile', 'churn']),
  summary: z.record(z.string(), z.unknown()),
});

/** How a value forecast did, as a model or a scoring run's summary reports it; anything else is not shown. */
const Metrics = z.looseObject({
  customers: z.number(),
  orders_mae: z.number(),
  spend_mae: z.number(),
  orders_spearman: z.number().nullable(),
  spend_spearman: z.number().nullable(),
  predicted_orders: z.number(),
  actual_orders: z.number(),
  predicted_spend: z.number(),
  actual_spend: z.number(),
});
const ValueReport = z.looseObject({
  as_of: z.string().max(40),
  horizon_days: z.number().int().min(1),
  customers: z.number().int().min(0),
  metrics: Metrics.nullable().optional(),
  baselines: z.record(z.string().max(40), Metrics).nullable().optional(),
});

/** The previous period's overview, as totals (what the page compares each figure with). */
const totalsOfOverview = ({ events, shoppers, sessions, funnel, revenue }: Overview) => ({
  events,
  shoppers,
  sessions,
  funnel,
  revenue,
});
/** The previous period's recommendation results, as totals. */
const totalsOfRecs = ({ byModel, groups }: RecResults) => ({
  impressions: byModel.reduce((n, m) => n + m.impressions, 0),
  clicks: byModel.reduce((n, m) => n + m.clicks, 0),
  purchases: byModel.reduce((n, m) => n + m.purchases, 0),
  groups,
});

const HISTOGRAM_BINS = 20;
/** How long a page waits for events not yet folded into the rollups before it answers with what is there. */
const FRESH_MS = 250;

export function dashboardRoutes(
  admin: AdminApp,
  {
    storage,
    now = Date.now,
    settleMs = 0,
  }: {
    storage: Storage;
    now?: () => number;
    /** See `AppOptions.rollupSettleMs`. */
    settleMs?: number;
  },
) {
  const { rollups } = storage;

  /**
   * The range a page asked for — `days` up to `to`, or `from`–`to` — and the period of the same
   * length just before it, which each figure is compared with.
   */
  async function range(query: Record<string, string>): Promise<Range & { days: number; previous: Range }> {
    const q = parseInput(RangeQuery, query);
    await requireSite(storage, q.site);
    await rollups.refresh({ now: now(), settleMs, budgetMs: FRESH_MS });
    const to = q.to ?? (await rollups.lastDay(q.site)) ?? Math.floor(now() / DAY_MS);
    const from = q.from ?? to - q.days + 1;
    if (from > to)
      throw new ApiError(400, 'invalid range', [{ path: 'from', message: `from (${from}) is after to (${to})` }]);
    const days = to - from + 1;
    if (days > MAX_DAYS)
      throw new ApiError(400, 'invalid range', [
        { path: 'from', message: `at most ${MAX_DAYS} days at a time, asked for ${days}` },
      ]);
    return { site: q.site, from, to, days, previous: { site: q.site, from: from - days, to: from - 1 } };
  }
  const site = async (query: Record<string, string>) => {
    const q = parseInput(SiteQuery, query);
    await requireSite(storage, q.site);
    return q.site;
  };
  /** The currency most of the site's revenue of the last year came in (forecasts of spend are in it), or null. */
  const shopCurrency = async (s: string) => {
    const to = (await rollups.lastDay(s)) ?? Math.floor(now() / DAY_MS);
    const { revenue } = await rollups.overview({ site: s, from: to - 365, to });
    return [...revenue].sort((a, b) => b.value - a.value)[0]?.currency ?? null;
  };
  /** The churn page's customer value: the forecast's totals, and how the model did against the simple forecasts. */
  const customerValue = async (s: string, reported: unknown, bySegment: Record<string, SegmentValue>) => {
    const parsed = ValueReport.safeParse(reported);
    if (!parsed.success) return null;
    const model = parsed.data;
    const all = Object.values(bySegment);
    return {
      currency: await shopCurrency(s),
      days: model.horizon_days,
      fitted_at: model.as_of,
      customers: all.reduce((n, v) => n + v.customers, 0),
      orders: all.reduce((n, v) => n + v.orders, 0),
      spend: all.reduce((n, v) => n + v.spend, 0),
      spend_high_risk: all.reduce((n, v) => n + v.spend_high_risk, 0),
      metrics: model.metrics ?? null,
      baselines: model.baselines ?? null,
    };
  };
  /** Every version of a model published for the site, newest first. */
  const published = async (s: string, name: string) =>
    (await storage.registry.versions(s, name)).sort((a, b) => b.version - a.version);
  const manifestOf = (v: { manifest: string } | undefined) =>
    v && (JSON.parse(v.manifest) as ModelManifest & Record<string, unknown>);
  /** The newest version of a model published for the site, or undefined. */
  const latest = async (s: string, name: string) => manifestOf((await published(s, name))[0]);
  /**
   * The period's flagged share against the share the model that flagged it was calibrated for: the
   * one version every flag names (the newest where there is none); nothing to judge by where the
   * flags name several versions, or one the registry does not hold.
   */
  const flagRateOf = (
    risk: RiskSummary,
    versions: Awaited<ReturnType<typeof published>>,
  ): (FlagRate & { model_version?: number }) | null => {
    const { sessions, flagged } = risk.seen;
    if (risk.model_versions.length > 1) {
      const named = risk.model_versions.map((v) => `v${v}`).join(', ');
      return {
        flagged,
        sessions,
        share: sessions ? Math.min(1, flagged / sessions) : null,
        expected: 0,
        verdict: 'unknown',
        reason: `this period's flags come from several models (${named}), each at its own threshold: no one share to hold them against`,
      };
    }
    const [named] = risk.model_versions;
    const model = named === undefined ? versions[0] : versions.find((v) => String(v.version) === named);
    if (!model) return null;
    const manifest = manifestOf(model) as { flag_at?: unknown };
    return { ...flagRate(flagged, sessions, manifest.flag_at as number), model_version: model.version };
  };
  const freshness = async () => {
    const state = await rollups.state();
    return { seq: state.seq, updated_at: state.updated_at ? new Date(state.updated_at).toISOString() : null };
  };

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/whoami',
      summary: 'Who this token is: the operator (every site) or a reader (one site)',
      tag: 'Dashboard',
      access: 'read',
      responses: { 200: '{ role, sites, name? }' },
    },
    async (c) => {
      const reader = c.get('reader');
      if (reader) return c.json({ role: 'reader', name: reader.name, sites: [reader.site] });
      return c.json({ role: 'operator', sites: (await storage.listSites()).map((s) => s.key) });
    },
  );

  /** A dashboard page: one GET that readers may call for their own site. */
  const page = <P extends string>(
    path: P,
    summary: string,
    query: z.ZodObject,
    answer: Handler<AdminEnv, P>,
    description = 'the page’s numbers',
  ) =>
    route(
      admin,
      { method: 'get', path, summary, tag: 'Dashboard', access: 'read', query, responses: { 200: description } },
      answer,
    );
  /** A page of day-by-day numbers over a range, straight from the rollups. */
  const rangePage = (name: 'overview' | 'recommendations', summary: string) =>
    page(
      `/v1/admin/dashboard/${name}`,
      summary,
      RangeQuery,
      async (c) => {
        const r = await range(c.req.query());
        const [current, before, recommender] = await Promise.all([
          rollups[name](r),
          rollups[name](r.previous),
          name === 'recommendations' ? latest(r.site, 'recommender') : undefined,
        ]);
        const extra =
          name === 'recommendations'
            ? {
                model: recommender
                  ? { version: recommender.version, health: modelHealth('recommender', recommender.metrics) }
                  : null,
              }
            : {};
        return c.json({
          range: r,
          ...current,
          previous: name === 'overview' ? totalsOfOverview(before as Overview) : totalsOfRecs(before as RecResults),
          ...extra,
          freshness: await freshness(),
        });
      },
      'the page’s numbers, its range, the previous period’s totals and how fresh the rollups are',
    );
  rangePage('overview', 'The overview page: funnel, revenue, traffic by day');
  rangePage('recommendations', 'The recommendations page: shown, clicked and bought, treatment against control');

  page(
    '/v1/admin/dashboard/risk',
    'The risk page: flagged sessions, their reasons and labels, the anomaly model',
    RangeQuery,
    async (c) => {
      const r = await range(c.req.query());
      const [versions, current, before] = await Promise.all([
        published(r.site, 'anomaly'),
        rollups.risk(r),
        rollups.risk(r.previous, 0),
      ]);
      const model = manifestOf(versions[0]);
      return c.json({
        range: r,
        ...current,
        previous: {
          total: before.total,
          confirmed: before.days.reduce((n, d) => n + d.confirmed, 0),
          false: before.days.reduce((n, d) => n + d.false, 0),
        },
        model: model
          ? { version: model.version, metrics: model.metrics, health: modelHealth('anomaly', model.metrics) }
          : null,
        flag_rate: flagRateOf(current, versions),
        freshness: await freshness(),
      });
    },
  );

  page(
    '/v1/admin/dashboard/risk/session',
    'A flagged session’s events, oldest first (the newest 200), as the Risk page lists them',
    SessionQuery,
    async (c) => {
      const q = parseInput(SessionQuery, c.req.query());
      await requireSite(storage, q.site);
      // Only a session the site has flagged: the Risk page is no browser of every shopper's visits.
      const flags = await storage.riskLabels.flagsOf(q.site, q.anonymous_id, q.session_id);
      if (!flags) {
        throw new ApiError(404, 'no such flagged session', [
          { path: 'session_id', message: `${q.site} has no flagged session ${q.session_id} of that shopper` },
        ]);
      }
      // One more than shown: whether there are more.
      const stored = await storage.events({
        site: q.site,
        anonymous_id: q.anonymous_id,
        session_id: q.session_id,
        newest: true,
        limit: SESSION_EVENTS + 1,
      });
      const events = stored
        .slice(0, SESSION_EVENTS)
        .map(({ event: e }) => ({
          type: e.type,
          ts: e.ts,
          path: e.page?.url ? pathOf(e.page.url) : null,
          items: (e.items ?? []).slice(0, 5).map((i) => i.item_name ?? i.item_id),
        }))
        .sort((a, b) => a.ts - b.ts);
      return c.json({
        site: q.site,
        session_id: q.session_id,
        flags,
        events,
        more: stored.length > SESSION_EVENTS,
      });
    },
    '{ events: [{ type, ts, path, items }], more }',
  );

  page(
    '/v1/admin/dashboard/segments',
    'The segments page: segment sizes, the last two scoring runs, the profile model',
    SiteQuery,
    async (c) => {
      const s = await site(c.req.query());
      const [runs, sizes, model, value, churnModel] = await Promise.all([
        storage.scoreRuns.latest(s, 'profile', 2),
        storage.profiles.segmentSizes(s),
        latest(s, 'profile'),
        storage.profiles.segmentValue(s),
        latest(s, 'churn'),
      ]);
      const valueModel = ValueReport.safeParse(
        churnModel?.value ??
          ((await storage.scoreRuns.latest(s, 'churn', 1))[0]?.summary as { value?: unknown } | undefined)?.value,
      ).data;
      const segments = (model?.segments ?? []) as { name: string; size: number; profile: Record<string, number> }[];
      return c.json({
        site: s,
        sizes,
        /** Expected orders and spend over the churn model's forecast days, and mean churn risk, per segment. */
        value: {
          days: valueModel?.horizon_days ?? null,
          currency: valueModel ? await shopCurrency(s) : null,
          segments: value,
        },
        latest: runs[0] ? { at: new Date(runs[0].at).toISOString(), ...(runs[0].summary as object) } : null,
        previous: runs[1] ? { at: new Date(runs[1].at).toISOString(), ...(runs[1].summary as object) } : null,
        model: model
          ? {
              version: model.version,
              k: model.k,
              silhouette: model.silhouette,
              health: modelHealth('profile', model.metrics),
              centroids: segments.map((x) => ({ name: x.name, size: x.size, profile: x.profile })),
            }
          : null,
      });
    },
  );

  page(
    '/v1/admin/dashboard/churn',
    'The churn page: risk histogram and bands, the churn model and its last run',
    SiteQuery,
    async (c) => {
      const s = await site(c.req.query());
      const [histogram, runs, model, bySegment] = await Promise.all([
        storage.profiles.churnHistogram(s, HISTOGRAM_BINS),
        storage.scoreRuns.latest(s, 'churn', 1),
        churnModelOf(storage, s),
        storage.profiles.segmentValue(s),
      ]);
      const bands = { high: 0, medium: 0, low: 0 };
      histogram.forEach((count, i) => {
        const band = churnBand({ churn: (i + 0.5) / HISTOGRAM_BINS });
        if (band) bands[band] += count;
      });
      return c.json({
        site: s,
        scored: histogram.reduce((a, b) => a + b, 0),
        bands,
        histogram: histogram.map((users, i) => ({ from: i / HISTOGRAM_BINS, to: (i + 1) / HISTOGRAM_BINS, users })),
        model: model
          ? { version: model.version, threshold: model.threshold, metrics: model.metrics, health: model.health }
          : null,
        value: await customerValue(s, model?.value, bySegment),
        run: runs[0] ? { at: new Date(runs[0].at).toISOString(), ...(runs[0].summary as object) } : null,
      });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/dashboard/install',
      summary: 'The install page: the site, its keys, identity secret state and the last events received',
      tag: 'Dashboard',
      access: 'read',
      query: SiteQuery,
      responses: { 200: 'the page’s facts' },
    },
    async (c) => {
      const s = await site(c.req.query());
      await rollups.refresh({ now: now(), settleMs, budgetMs: FRESH_MS });
      const [found, keys, last, identity] = await Promise.all([
        storage.getSite(s),
        storage.registry.keys(s),
        storage.events({ site: s, newest: true, limit: 20 }),
        storage.shoppers.identitySecret(s),
      ]);
      return c.json({
        site: found,
        // Whether signed-in shoppers can prove who they are (never the secret itself).
        identity: identity ? { created_at: new Date(identity.created_at).toISOString() } : null,
        keys: keys.map((k) => ({ key_id: k.key_id, public_key: k.public_key })),
        last: last.map((e) => ({
          seq: e.seq,
          received_at: new Date(e.received_at).toISOString(),
          type: e.event.type,
          url: e.event.page?.url ?? null,
          event_id: e.event.event_id,
        })),
      });
    },
  );

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/risk-flags/:event_id/label',
      summary: 'Label a risk flag: confirmed, false alarm, or unlabelled (null)',
      tag: 'Dashboard',
      access: 'operator',
      body: Label,
      responses: { 200: 'the label', 404: 'no such flag' },
    },
    async (c) => {
      const input = parseInput(Label, await jsonBody(c));
      const eventId = c.req.param('event_id');
      if (!(await storage.riskLabels.set(input.site, eventId, input.label, now()))) {
        throw new ApiError(404, 'no such flag', [
          { path: 'event_id', message: `${input.site} has no risk flag ${eventId}` },
        ]);
      }
      return c.json({ site: input.site, event_id: eventId, label: input.label });
    },
  );

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/profile-runs',
      summary: 'Record a scoring run’s summary (aisle score profile|churn --publish)',
      tag: 'Dashboard',
      access: 'operator',
      body: RunInput,
      responses: { 201: 'recorded', 413: 'summary over 256 KiB' },
    },
    async (c) => {
      const input = parseInput(RunInput, await jsonBody(c));
      await requireSite(storage, input.site);
      if (JSON.stringify(input.summary).length > 256 * 1024) {
        throw new ApiError(413, 'summary too large', [{ path: 'summary', message: 'at most 256 KiB of JSON' }]);
      }
      await storage.scoreRuns.put(input.site, input.kind, now(), input.summary);
      return c.json({ site: input.site, kind: input.kind }, 201);
    },
  );

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/tokens',
      summary: 'Make a read-only token for one site’s dashboard',
      tag: 'Dashboard',
      access: 'operator',
      body: TokenInput,
      responses: { 201: 'the token (shown once) and its record' },
    },
    async (c) => {
      const input = parseInput(TokenInput, await jsonBody(c));
      await requireSite(storage, input.site);
      const { token: secret, record } = await storage.access.create(input.site, input.name, now());
      return c.json({ token: secret, ...record }, 201);
    },
  );
  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/tokens',
      summary: 'A site’s read-only tokens (never the secrets)',
      tag: 'Dashboard',
      access: 'operator',
      query: SiteQuery,
      responses: { 200: '{ tokens }' },
    },
    async (c) => c.json({ tokens: await storage.access.list(await site(c.req.query())) }),
  );
  route(
    admin,
    {
      method: 'delete',
      path: '/v1/admin/tokens/:id',
      summary: 'Revoke a read-only token',
      tag: 'Dashboard',
      access: 'operator',
      query: SiteQuery,
      responses: { 200: '{ revoked }', 404: 'no such token' },
    },
    async (c) => {
      const s = await site(c.req.query());
      if (!(await storage.access.revoke(s, c.req.param('id')))) {
        throw new ApiError(404, 'no such token', [{ path: 'id', message: `${s} has no token ${c.req.param('id')}` }]);
      }
      return c.json({ revoked: c.req.param('id') });
    },
  );
}
