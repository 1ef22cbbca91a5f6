/**
 * @module edge-server/storage/rollups/queries — what the dashboard's pages ask of the aggregates:
 * the watermark, the overview of a range of days, recommendations by model and against the
 * hold-out, risk flags with their reasons. Reads only.
 */
import type { Sql } from '../sql';
import { DAY_MS, FUNNEL, type Overview, type RiskSession, type RiskSummary, type Rollups } from './types';

const n = (x: unknown) => Number(x ?? 0);

export function queriesOver(sql: Sql): Pick<Rollups, 'state' | 'lastDay' | 'overview' | 'recommendations' | 'risk'> {
  return {
    async state() {
      const [row] = await sql.all<{ seq: unknown; updated_at: unknown }>(
        `SELECT seq, updated_at FROM rollup_state WHERE id = 'events'`,
      );
      return { seq: n(row?.seq), updated_at: n(row?.updated_at) };
    },
    async lastDay(site) {
      const [row] = await sql.all<{ day: unknown }>('SELECT MAX(day) AS day FROM rollup_daily WHERE site = ?', [site]);
      return row?.day === null || row?.day === undefined ? null : n(row.day);
    },
    async overview({ site, from, to }) {
      const range = [site, from, to];
      const [typeRows, shopperDays, [totals], [funnel], revenue, consent] = await Promise.all([
        sql.all<{ day: unknown; type: string; events: unknown }>(
          `SELECT day, type, SUM(events) AS events FROM rollup_daily WHERE site = ? AND day BETWEEN ? AND ?
           GROUP BY day, type ORDER BY day`,
          range,
        ),
        sql.all<{ day: unknown; shoppers: unknown }>(
          `SELECT day, COUNT(*) AS shoppers FROM rollup_shoppers WHERE site = ? AND day BETWEEN ? AND ? GROUP BY day`,
          range,
        ),
        sql.all<{ shoppers: unknown }>(
          'SELECT COUNT(DISTINCT anonymous_id) AS shoppers FROM rollup_shoppers WHERE site = ? AND day BETWEEN ? AND ?',
          range,
        ),
        sql.all<Record<string, unknown>>(
          `SELECT COUNT(*) AS sessions,
             SUM(CASE WHEN (steps & 1) = 1 THEN 1 ELSE 0 END) AS s1,
             SUM(CASE WHEN (steps & 3) = 3 THEN 1 ELSE 0 END) AS s2,
             SUM(CASE WHEN (steps & 7) = 7 THEN 1 ELSE 0 END) AS s3,
             SUM(CASE WHEN (steps & 15) = 15 THEN 1 ELSE 0 END) AS s4
           FROM rollup_sessions WHERE site = ? AND day BETWEEN ? AND ?`,
          range,
        ),
        sql.all<{ currency: string; value: unknown; orders: unknown }>(
          `SELECT currency, SUM(value) AS value, SUM(events) AS orders FROM rollup_daily
           WHERE site = ? AND day BETWEEN ? AND ? AND type = 'purchase' AND currency <> ''
           GROUP BY currency ORDER BY SUM(value) DESC`,
          range,
        ),
        sql.all<{ analytics: unknown; personalization: unknown; n: unknown }>(
          `SELECT analytics, personalization, SUM(n) AS n FROM consent_counts WHERE site = ? AND day BETWEEN ? AND ?
           GROUP BY analytics, personalization`,
          range,
        ),
      ]);
      const days = new Map<number, Overview['days'][number]>();
      for (let day = from; day <= to; day++) days.set(day, { day, byType: {}, shoppers: 0 });
      let events = 0;
      for (const r of typeRows) {
        const d = days.get(n(r.day));
        if (d) d.byType[r.type] = n(r.events);
        events += n(r.events);
      }
      for (const r of shopperDays) {
        const d = days.get(n(r.day));
        if (d) d.shoppers = n(r.shoppers);
      }
      const c = { decisions: 0, analytics: 0, personalization: 0 };
      for (const r of consent) {
        c.decisions += n(r.n);
        if (n(r.analytics)) c.analytics += n(r.n);
        if (n(r.personalization)) c.personalization += n(r.n);
      }
      return {
        days: [...days.values()],
        events,
        shoppers: n(totals?.shoppers),
        sessions: n(funnel?.sessions),
        funnel: FUNNEL.map((step, i) => ({ step, sessions: n(funnel?.[`s${i + 1}`]) })),
        revenue: revenue.map((r) => ({
          currency: r.currency,
          value: Math.round(n(r.value) * 100) / 100,
          orders: n(r.orders),
        })),
        consent: c,
      };
    },
    async recommendations({ site, from, to }) {
      const range = [site, from, to];
      const [models, days, groups] = await Promise.all([
        sql.all<Record<string, unknown>>(
          `SELECT model_version, backend, SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(purchases) AS purchases
           FROM rollup_recs WHERE site = ? AND day BETWEEN ? AND ? GROUP BY model_version, backend
           ORDER BY model_version, backend`,
          range,
        ),
        sql.all<Record<string, unknown>>(
          `SELECT day, SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(purchases) AS purchases
           FROM rollup_recs WHERE site = ? AND day BETWEEN ? AND ? GROUP BY day ORDER BY day`,
          range,
        ),
        sql.all<Record<string, unknown>>(
          `SELECT grp, COUNT(*) AS sessions,
             SUM(CASE WHEN (steps & 16) = 16 THEN 1 ELSE 0 END) AS with_recs,
             SUM(CASE WHEN (steps & 8) = 8 THEN 1 ELSE 0 END) AS converted
           FROM rollup_sessions WHERE site = ? AND day BETWEEN ? AND ? AND grp IS NOT NULL GROUP BY grp`,
          range,
        ),
      ]);
      return {
        byModel: models.map((r) => ({
          model_version: String(r.model_version),
          backend: String(r.backend),
          impressions: n(r.impressions),
          clicks: n(r.clicks),
          ctr: n(r.impressions) ? n(r.clicks) / n(r.impressions) : 0,
          purchases: n(r.purchases),
        })),
        days: days.map((r) => ({
          day: n(r.day),
          impressions: n(r.impressions),
          clicks: n(r.clicks),
          purchases: n(r.purchases),
        })),
        groups: (['treatment', 'control'] as const).map((group) => {
          const r = groups.find((g) => g.grp === group);
          const sessions = n(r?.sessions);
          return {
            group,
            sessions,
            with_recs: n(r?.with_recs),
            converted: n(r?.converted),
            rate: sessions ? n(r?.converted) / sessions : 0,
          };
        }),
      };
    },
    async risk({ site, from, to }, limit = 100) {
      const lo = from * DAY_MS;
      const hi = (to + 1) * DAY_MS;
      const [rows, [seen]] = await Promise.all([
        sql.all<Record<string, unknown>>(
          `SELECT event_id, session_id, anonymous_id, ts, score, reasons, model_version, label, labelled_at
           FROM risk_flags WHERE site = ? AND ts >= ? AND ts < ? ORDER BY ts, event_id`,
          [site, lo, hi],
        ),
        // The sessions that began in the range and how many of them were flagged, by the shopper
        // whose session it is (a flag naming someone else's session id counts for nothing).
        limit > 0
          ? sql.all<{ sessions: unknown; flagged: unknown }>(
              `SELECT COUNT(*) AS sessions,
                 SUM(CASE WHEN EXISTS (SELECT 1 FROM risk_flags f WHERE f.site = s.site
                   AND f.anonymous_id = s.anonymous_id AND f.session_id = s.session_id) THEN 1 ELSE 0 END) AS flagged
               FROM rollup_sessions s WHERE s.site = ? AND s.day BETWEEN ? AND ?`,
              [site, from, to],
            )
          : [{ sessions: 0, flagged: 0 }],
      ]);
      const bySession = new Map<string, RiskSession>();
      for (const r of rows) {
        const id = String(r.session_id);
        // A session is its shopper's: anyone can send a flag, and another's session id must not join theirs.
        const key = `${String(r.anonymous_id)}\u0000${id}`;
        const ts = n(r.ts);
        const reasons = String(r.reasons)
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        const label = (r.label as RiskSession['label']) ?? null;
        const labelledAt = r.labelled_at === null ? null : n(r.labelled_at);
        const s = bySession.get(key);
        if (!s) {
          bySession.set(key, {
            event_id: String(r.event_id),
            session_id: id,
            anonymous_id: String(r.anonymous_id),
            first_ts: ts,
            last_ts: ts,
            flags: 1,
            score: n(r.score),
            reasons,
            model_version: String(r.model_version),
            label,
            labelled_at: labelledAt,
          });
          continue;
        }
        s.last_ts = ts;
        s.flags += 1;
        s.score = Math.max(s.score, n(r.score));
        s.model_version = String(r.model_version);
        for (const x of reasons) if (!s.reasons.includes(x)) s.reasons.push(x);
        // Labels are set on the whole session; flags from before that was so carry the latest word.
        if (labelledAt !== null && (s.labelled_at === null || labelledAt > s.labelled_at)) {
          s.label = label;
          s.labelled_at = labelledAt;
        }
      }
      const sessions = [...bySession.values()];
      const days = new Map<number, RiskSummary['days'][number]>();
      for (let day = from; day <= to; day++) days.set(day, { day, sessions: 0, confirmed: 0, false: 0 });
      const reasons = new Map<string, number>();
      for (const s of sessions) {
        const d = days.get(Math.floor(s.first_ts / DAY_MS));
        if (d) {
          d.sessions += 1;
          if (s.label === 'confirmed') d.confirmed += 1;
          if (s.label === 'false') d.false += 1;
        }
        for (const r of s.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      }
      return {
        total: sessions.length,
        seen: { sessions: n(seen?.sessions), flagged: n(seen?.flagged) },
        model_versions: [...new Set(rows.map((r) => String(r.model_version)))].sort(),
        days: [...days.values()],
        reasons: [...reasons]
          .map(([reason, count]) => ({ reason, sessions: count }))
          .sort((a, b) => b.sessions - a.sessions || a.reason.localeCompare(b.reason)),
        sessions: sessions
          .sort((a, b) => b.last_ts - a.last_ts || a.session_id.localeCompare(b.session_id))
          .slice(0, limit),
      };
    },
  };
}
