/**
 * @module edge-server/routes/profiles — what merchants act on (behind the operator token): each
 * shopper's segment, churn probability and reasons as the scoring jobs last stored them
 * (`POST /v1/admin/profiles`, which `aisle score … --publish` and the edge's own job call), with the
 * retention action the site's policy maps them to; filtered and paged by cursor, or as a CSV a
 * spreadsheet opens; and the policy itself, editable.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { ACTION_LABELS, label } from '@aisle/shared-models/labels';
import { STORY_MAX } from '@aisle/shared-models/models/churn';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { AdminApp } from '../api/admin';
import { route } from '../api/route';
import { churnModelOf } from '../churn-model';
import { ApiError } from '../errors';
import { jsonBody, parseInput, requireSite } from '../input';
import { actionFor, churnBand, DEFAULT_POLICY, PolicySchema, type Rule } from '../retention';
import type { Storage } from '../storage';
import { type ProfileRecord, valueKey } from '../storage/profiles';
import type { WebhookDispatcher } from '../webhooks';

const UserId = z.string().min(1).max(200);
const Upload = z.discriminatedUnion('kind', [
  z.strictObject({
    site: z.string().min(1).max(64),
    kind: z.literal('profile'),
    rows: z
      .array(
        z.looseObject({
          user_id: UserId,
          segment_name: z.string().min(1).max(100),
          tags: z.array(z.string().max(100)).max(50),
        }),
      )
      .max(20_000),
  }),
  z.strictObject({
    site: z.string().min(1).max(64),
    kind: z.literal('churn'),
    rows: z
      .array(
        z.looseObject({
          user_id: UserId,
          probability: z.number().min(0).max(1),
          flagged: z.boolean(),
          reasons: z
            .array(
              z.looseObject({
                feature: z.string().max(100),
                value: z.union([z.string().max(200), z.number()]),
                effect: z.number(),
                text: z.string().max(STORY_MAX).optional(),
              }),
            )
            .max(20),
          /** The customer-value forecast, where the churn model carries one and the shopper has bought. */
          value: z
            .strictObject({
              days: z.number().int().min(1).max(3660),
              orders: z.number().min(0).max(1e6),
              spend: z.number().min(0).max(1e12),
              /** Null for a customer of one order: the model lets no one leave before a second. */
              active: z.number().min(0).max(1).nullable(),
            })
            .optional(),
        }),
      )
      .max(20_000),
  }),
]);

const Query = z.object({
  site: z.string().min(1).max(64),
  segment: z.string().max(100).optional(),
  minChurn: z.coerce.number().min(0).max(1).optional(),
  /** `user`: by user id; `value`: most expected spend first (those without a forecast last). */
  sort: z.enum(['user', 'value']).default('user'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(400).optional(),
});

/** The CSV export: the list's filters, and whether headers and actions are in words (people) or names (tools). */
const CsvQuery = Query.extend({ labels: z.enum(['words', 'names']).default('words') });
/** The CSV's columns: the name tools read (`labels=names`), and the heading a person reads. */
const CSV_COLUMNS: [string, string][] = [
  ['user_id', 'Shopper'],
  ['segment', 'Segment'],
  ['tags', 'Tags'],
  ['churn', 'Churn probability (0–1)'],
  ['churn_band', 'Churn risk'],
  ['reasons', 'Reasons'],
  ['expected_orders', 'Expected orders'],
  ['expected_spend', 'Expected spend'],
  ['forecast_days', 'Forecast period (days)'],
  ['chance_active', 'Chance still a customer (0–1)'],
  ['action', 'Retention action'],
  ['message', 'Message'],
  ['scored_at', 'Scored at (UTC)'],
];

/** A cursor is where a page ended (its last user id, or value key), opaque to the client. */
const cursorOf = (p: ProfileRecord, sort: 'user' | 'value') =>
  Buffer.from(sort === 'value' ? valueKey(p) : p.user_id, 'utf8').toString('base64url');
const ValueCursor = z.tuple([z.number(), z.string()]);
function afterOf(cursor: string, sort: 'user' | 'value'): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (sort === 'user') return text;
  try {
    if (ValueCursor.safeParse(JSON.parse(text)).success) return text;
  } catch {}
  throw new ApiError(400, 'invalid input', [{ path: 'cursor', message: 'not a cursor of a page sorted by value' }]);
}

/** A cell a spreadsheet must not run as a formula (=, +, -, @, tab, CR at the start). */
const safeCell = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

const HookInput = z.strictObject({
  site: z.string().min(1).max(64),
  url: z.url({ protocol: /^https?$/ }).max(2000),
  /** Shoppers at or above this churn probability are pushed (default 0.6: the high band). */
  min_churn: z.number().min(0).max(1).default(0.6),
});

export function profilesRoutes(
  admin: AdminApp,
  {
    storage,
    now = Date.now,
    webhooks,
  }: {
    storage: Storage;
    now?: () => number;
    webhooks?: WebhookDispatcher;
  },
) {
  const siteOr404 = (site: string) => requireSite(storage, site);

  const policy = async (site: string): Promise<Rule[]> =>
    ((await storage.profiles.policy(site)) as Rule[] | undefined) ?? DEFAULT_POLICY;
  /** The site's policy, and whether the churn model its bands come from may drive actions. */
  const policyAndModel = async (site: string) => {
    const [rules, model] = await Promise.all([policy(site), churnModelOf(storage, site)]);
    return { rules, model, trusted: model?.health.verdict !== 'weak' };
  };
  const view =
    ({ rules, trusted }: { rules: Rule[]; trusted: boolean }) =>
    (p: ProfileRecord) => ({
      user_id: p.user_id,
      segment: p.segment_name,
      tags: p.tags,
      churn: p.churn,
      churn_band: churnBand(p),
      churn_flagged: p.churn_flagged,
      reasons: p.reasons,
      value: p.value,
      ...actionFor(rules, p, trusted),
      scored_at: new Date(Math.max(p.segment_at ?? 0, p.churn_at ?? 0)).toISOString(),
    });

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/profiles',
      summary: 'Upload scored profiles (segments or churn) from aisle score --publish',
      tag: 'Profiles and retention',
      access: 'operator',
      body: Upload,
      responses: { 200: 'how many were stored' },
    },
    async (c) => {
      // 20,000 rows at a time, as the scoring job sends them, fit with room to spare.
      const parsed = parseInput(Upload, await jsonBody(c, 32 * 1024 * 1024));
      const { site } = parsed;
      await siteOr404(site);
      if (parsed.kind === 'profile') await storage.profiles.putSegments(site, parsed.rows, now());
      else {
        await storage.profiles.putChurn(site, parsed.rows, now());
        // Fresh churn scores: the shoppers now at risk go to the site's webhooks, with their actions —
        // unless the model that scored them is no better than chance (its "at risk" is a guess).
        const context = await policyAndModel(site);
        if (!context.trusted) return c.json({ site, kind: parsed.kind, stored: parsed.rows.length });
        const toView = view(context);
        const records = new Map<string, ProfileRecord>();
        await webhooks?.notify(
          site,
          parsed.rows.map((r) => ({ user_id: r.user_id, churn: r.probability })),
          (u) => {
            const p = records.get(u.user_id);
            return p ? toView(p) : u;
          },
          async (ids) => {
            for (const id of ids) {
              const p = await storage.profiles.get(site, id);
              if (p) records.set(id, p);
            }
          },
        );
      }
      return c.json({ site, kind: parsed.kind, stored: parsed.rows.length });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/profiles',
      summary: 'Shoppers’ profiles with segment, churn risk, reasons and retention action, a page at a time',
      tag: 'Profiles and retention',
      access: 'read',
      query: Query,
      responses: { 200: '{ profiles, next }' },
    },
    async (c) => {
      const q = parseInput(Query, c.req.query());
      await siteOr404(q.site);
      const rows = await storage.profiles.list(q.site, {
        segment: q.segment,
        minChurn: q.minChurn,
        sort: q.sort,
        after: q.cursor ? afterOf(q.cursor, q.sort) : undefined,
        limit: q.limit,
      });
      const last = rows.at(-1);
      const context = await policyAndModel(q.site);
      return c.json({
        profiles: rows.map(view(context)),
        next_cursor: rows.length === q.limit && last ? cursorOf(last, q.sort) : null,
        // The model the churn risk comes from, its held-out quality and verdict: a weak one proposes no band-based action.
        churn_model: context.model ? { version: context.model.version, health: context.model.health } : null,
      });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/profiles.csv',
      summary:
        'The same profiles as CSV (UTF-8 with BOM, CRLF, formula cells defused); headers and actions in words, or `labels=names` for tools',
      tag: 'Profiles and retention',
      access: 'read',
      query: CsvQuery,
      responses: { 200: { description: 'CSV', type: 'text/csv' } },
    },
    async (c) => {
      const q = parseInput(CsvQuery, c.req.query());
      await siteOr404(q.site);
      const toView = view(await policyAndModel(q.site));
      const words = q.labels === 'words';
      const lines: string[][] = [CSV_COLUMNS.map(([name, heading]) => (words ? heading : name))];
      for (let after: string | undefined; ; ) {
        const page = await storage.profiles.list(q.site, {
          segment: q.segment,
          minChurn: q.minChurn,
          sort: q.sort,
          after,
          limit: 5000,
        });
        for (const p of page.map(toView)) {
          lines.push(
            [
              p.user_id,
              p.segment ?? '',
              p.tags.join('; '),
              p.churn === null ? '' : p.churn.toFixed(4),
              p.churn_band ?? '',
              p.reasons.map((r) => r.text ?? `${r.feature}=${r.value}`).join('; '),
              p.value ? p.value.orders.toFixed(2) : '',
              p.value ? p.value.spend.toFixed(2) : '',
              p.value ? String(p.value.days) : '',
              p.value?.active == null ? '' : p.value.active.toFixed(3),
              words ? label(p.action, ACTION_LABELS) : p.action,
              p.message,
              p.scored_at,
            ].map(safeCell),
          );
        }
        const last = page.at(-1);
        if (page.length < 5000 || !last) break;
        after = q.sort === 'value' ? valueKey(last) : last.user_id;
      }
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="aisle-profiles-${q.site}.csv"`);
      // A byte-order mark, so that spreadsheets read the UTF-8 as UTF-8; CRLF line ends (RFC 4180).
      return c.body(`\ufeff${stringify(lines, { record_delimiter: 'windows' })}`);
    },
  );

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/webhooks',
      summary: 'Add a webhook (profile and churn changes), HMAC-signed',
      tag: 'Profiles and retention',
      access: 'operator',
      body: HookInput,
      responses: { 201: 'the webhook with its secret (shown once)' },
    },
    async (c) => {
      const parsed = parseInput(HookInput, await jsonBody(c));
      await siteOr404(parsed.site);
      const hook = {
        id: randomUUID(),
        ...parsed,
        secret: randomBytes(32).toString('base64url'),
        created_at: now(),
      };
      await storage.webhooks.add(hook);
      // The secret is shown once, here: the receiver checks X-Aisle-Signature with it.
      return c.json(hook, 201);
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/webhooks',
      summary: 'A site’s webhooks and their last deliveries',
      tag: 'Profiles and retention',
      access: 'operator',
      query: z.object({ site: z.string().min(1).max(64) }),
      responses: { 200: '{ webhooks }' },
    },
    async (c) => {
      const site = c.req.query('site') ?? '';
      await siteOr404(site);
      const hooks = await storage.webhooks.list(site);
      return c.json({
        webhooks: await Promise.all(
          hooks.map(async ({ secret: _, ...h }) => ({
            ...h,
            deliveries: (await storage.webhooks.deliveries(h.id, 20)).map(({ body: __, ...d }) => d),
          })),
        ),
      });
    },
  );

  route(
    admin,
    {
      method: 'delete',
      path: '/v1/admin/webhooks/:id',
      summary: 'Remove a webhook',
      tag: 'Profiles and retention',
      access: 'operator',
      query: z.object({ site: z.string().min(1).max(64) }),
      responses: { 200: '{ deleted }', 404: 'no such webhook' },
    },
    async (c) => {
      const site = c.req.query('site') ?? '';
      await siteOr404(site);
      if (!(await storage.webhooks.remove(site, c.req.param('id')))) {
        throw new ApiError(404, 'no such webhook', [
          { path: 'id', message: `no webhook ${c.req.param('id')} for ${site}` },
        ]);
      }
      return c.json({ deleted: c.req.param('id') });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/retention-policy',
      summary: 'The retention policy: which action each churn band and segment gets',
      tag: 'Profiles and retention',
      access: 'read',
      query: z.object({ site: z.string().min(1).max(64) }),
      responses: { 200: '{ site, rules, default }' },
    },
    async (c) => {
      const site = c.req.query('site') ?? '';
      await siteOr404(site);
      const stored = await storage.profiles.policy(site);
      return c.json({ site, rules: stored ?? DEFAULT_POLICY, default: !stored });
    },
  );

  route(
    admin,
    {
      method: 'put',
      path: '/v1/admin/retention-policy',
      summary: 'Replace the retention policy',
      tag: 'Profiles and retention',
      access: 'operator',
      query: z.object({ site: z.string().min(1).max(64) }),
      body: PolicySchema,
      responses: { 200: '{ site, rules, default }' },
    },
    async (c) => {
      const site = c.req.query('site') ?? '';
      await siteOr404(site);
      const parsed = parseInput(PolicySchema, await jsonBody(c));
      await storage.profiles.putPolicy(site, parsed.rules, now());
      return c.json({ site, rules: parsed.rules, default: false });
    },
  );
}
