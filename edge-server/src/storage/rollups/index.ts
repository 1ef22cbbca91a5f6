/**
 * @module edge-server/storage/rollups — what the merchant dashboard reads: aggregates of the events
 * table kept current from the events after a watermark, so a page costs the same on a million events
 * as on a thousand. `refresh` folds new events in, a chunk per transaction (watermark and aggregates
 * commit together; a node that finds the watermark moved under it leaves the chunk to whoever moved
 * it). SQLite's writer thread also folds a batch in as it stores it, while the watermark is caught up. Also the dashboard's own records: risk-flag labels, consent counts, scoring-run summaries.
 * Over the same minimal SQL as the registry, so both adapters share it.
 */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import type { Sql } from '../sql';
import {
  DAY_MS,
  FUNNEL,
  type Overview,
  type RiskFlag,
  type RiskSummary,
  type RollupEvent,
  type Rollups,
  STEP,
} from './types';

export * from './types';

const CHUNK_EVENTS = 5000;
/** Rows per multi-row INSERT. */
const ROWS = 100;

const n = (x: unknown) => Number(x ?? 0);
const marks = (k: number) => `(${Array(k).fill('?').join(', ')})`;

/** Every labelled risk flag (of one site, or all): what anomaly training learns from. */
export function readLabels(
  sql: Sql,
  site?: string,
): Promise<Pick<RiskFlag, 'session_id' | 'anonymous_id' | 'label'>[]> {
  return sql.all(
    `SELECT session_id, anonymous_id, label FROM risk_flags WHERE label IS NOT NULL${site ? ' AND site = ?' : ''}`,
    site ? [site] : [],
  );
}

/** Multi-row upserts of `rows` (each `width` values), `ROWS` at a time. */
async function insertRows(tx: Sql, head: string, tail: string, width: number, rows: unknown[][]) {
  for (let i = 0; i < rows.length; i += ROWS) {
    const part = rows.slice(i, i + ROWS);
    await tx.run(`${head} VALUES ${part.map(() => marks(width)).join(', ')} ${tail}`, part.flat());
  }
}

const text = (v: unknown, max = 100) => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, max) : '');

export type Folded = ReturnType<typeof fold>;

/** One chunk's aggregates, built in memory before one transaction writes them. */
export function fold(events: readonly RollupEvent[], knownClicks: Map<string, [string, string]>) {
  const daily = new Map<string, [string, number, string, string, number, number]>();
  const shoppers = new Map<string, [string, number, string]>();
  const sessions = new Map<string, [string, string, string, number, number, string | null]>();
  const recs = new Map<string, [string, number, string, string, number, number, number]>();
  const clicks = new Map<string, [string, string, string, string, string]>();
  const flags: unknown[][] = [];
  const rec = (site: string, day: number, mv: string, backend: string) => {
    const key = `${site}\0${day}\0${mv}\0${backend}`;
    const row = recs.get(key) ?? [site, day, mv, backend, 0, 0, 0];
    recs.set(key, row);
    return row;
  };
  for (const { site, event: e } of events) {
    const day = Math.floor(e.ts / DAY_MS);
    // Revenue is what purchases are worth; other events' values (a cart's, say) are not summed.
    const currency = e.type === 'purchase' && e.value !== undefined && e.currency ? e.currency : '';
    const dk = `${site}\0${day}\0${e.type}\0${currency}`;
    const d = daily.get(dk);
    if (d) {
      d[4] += 1;
      d[5] += currency ? (e.value ?? 0) : 0;
    } else daily.set(dk, [site, day, e.type, currency, 1, currency ? (e.value ?? 0) : 0]);
    shoppers.set(`${site}\0${day}\0${e.anonymous_id}`, [site, day, e.anonymous_id]);
    const sk = `${site}\0${e.session_id}`;
    const step = STEP[e.type as keyof typeof STEP] ?? 0;
    const s = sessions.get(sk);
    if (s) {
      s[4] |= step;
      s[5] ??= e.group ?? null;
    } else sessions.set(sk, [site, e.session_id, e.anonymous_id, day, step, e.group ?? null]);
    const props = (e.props ?? {}) as Record<string, unknown>;
    if (e.type === 'rec_impression') rec(site, day, text(props.model_version), text(props.backend))[4] += 1;
    if (e.type === 'rec_click') {
      const mv = text(props.model_version);
      const backend = text(props.backend);
      rec(site, day, mv, backend)[5] += 1;
      for (const item of e.items ?? []) {
        const ck = `${site}\0${e.session_id}\0${item.item_id}`;
        if (!clicks.has(ck) && !knownClicks.has(ck)) clicks.set(ck, [site, e.session_id, item.item_id, mv, backend]);
      }
    }
    if (e.type === 'purchase') {
      // Attributed when it buys something a recommendation was clicked for earlier in the session.
      for (const item of e.items ?? []) {
        const ck = `${site}\0${e.session_id}\0${item.item_id}`;
        const hit = clicks.get(ck)?.slice(3) ?? knownClicks.get(ck);
        if (hit) {
          rec(site, day, hit[0], hit[1])[6] += 1;
          break;
        }
      }
    }
    if (e.type === 'risk_flag') {
      const score = Number(props.score);
      flags.push([
        e.event_id,
        site,
        e.session_id,
        e.anonymous_id,
        e.ts,
        Number.isFinite(score) ? score : 0,
        text(props.reasons, 500),
        text(props.model_version),
      ]);
    }
  }
  return { daily, shoppers, sessions, recs, clicks, flags };
}

/**
 * A batch's aggregates as if every event in it were new, for the writer to use when they all
 * were; undefined when they depend on what is stored already (a purchase is attributed to a
 * recommendation clicked in an earlier batch).
 */
export function foldedAsNew(site: string, events: readonly AisleEvent[], receivedAt: number): Folded | undefined {
  if (events.some((e) => e.type === 'purchase')) return undefined;
  return fold(
    events.map((event) => ({ seq: 0, site, received_at: receivedAt, event })),
    new Map(),
  );
}

/** Rec clicks already folded in for the sessions of this chunk's purchases. */
export async function clicksFor(sql: Sql, events: readonly RollupEvent[]) {
  const bySite = new Map<string, Set<string>>();
  for (const { site, event } of events) {
    if (event.type !== 'purchase') continue;
    const set = bySite.get(site) ?? new Set<string>();
    bySite.set(site, set);
    set.add(event.session_id);
  }
  const known = new Map<string, [string, string]>();
  for (const [site, set] of bySite) {
    const ids = [...set];
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = await sql.all<{ session_id: string; item_id: string; model_version: string; backend: string }>(
        `SELECT session_id, item_id, model_version, backend FROM rec_clicks WHERE site = ? AND session_id IN ${marks(part.length)}`,
        [site, ...part],
      );
      for (const r of rows) known.set(`${site}\0${r.session_id}\0${r.item_id}`, [r.model_version, r.backend]);
    }
  }
  return known;
}

/** Adds a chunk's aggregates to the rollup tables and moves the watermark to `to`, inside the caller's transaction. */
export async function writeFolded(tx: Sql, agg: Folded, to: number, now: number) {
  await insertRows(
    tx,
    'INSERT INTO rollup_daily (site, day, type, currency, events, value)',
    `ON CONFLICT (site, day, type, currency) DO UPDATE SET events = rollup_daily.events + excluded.events,
     value = rollup_daily.value + excluded.value`,
    6,
    [...agg.daily.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rollup_shoppers (site, day, anonymous_id)',
    'ON CONFLICT (site, day, anonymous_id) DO NOTHING',
    3,
    [...agg.shoppers.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rollup_sessions (site, session_id, anonymous_id, day, steps, grp)',
    `ON CONFLICT (site, session_id) DO UPDATE SET steps = rollup_sessions.steps | excluded.steps,
     grp = COALESCE(rollup_sessions.grp, excluded.grp)`,
    6,
    [...agg.sessions.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rollup_recs (site, day, model_version, backend, impressions, clicks, purchases)',
    `ON CONFLICT (site, day, model_version, backend) DO UPDATE SET
     impressions = rollup_recs.impressions + excluded.impressions, clicks = rollup_recs.clicks + excluded.clicks,
     purchases = rollup_recs.purchases + excluded.purchases`,
    7,
    [...agg.recs.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO rec_clicks (site, session_id, item_id, model_version, backend)',
    'ON CONFLICT (site, session_id, item_id) DO NOTHING',
    5,
    [...agg.clicks.values()],
  );
  await insertRows(
    tx,
    'INSERT INTO risk_flags (event_id, site, session_id, anonymous_id, ts, score, reasons, model_version)',
    'ON CONFLICT (event_id) DO NOTHING',
    8,
    agg.flags,
  );
  await tx.run(`UPDATE rollup_state SET seq = ?, updated_at = ? WHERE id = 'events'`, [to, now]);
}

export function rollupsOver(
  sql: Sql,
  kind: 'sqlite' | 'postgres',
  read: (after: number, limit: number) => Promise<RollupEvent[]>,
): Rollups {
  const lock = kind === 'postgres' ? ' FOR UPDATE' : '';
  let running: Promise<{ events: number; done: boolean }> | undefined;

  async function chunk(now: number, settleMs: number): Promise<number | undefined> {
    const [state] = await sql.all<{ seq: unknown }>(`SELECT seq FROM rollup_state WHERE id = 'events'`);
    const from = n(state?.seq);
    const fetched = await read(from, CHUNK_EVENTS);
    // PostgreSQL hands out sequence numbers before commit: a batch still committing may yet land
    // below the newest seq seen. Events younger than `settleMs` wait for the next refresh.
    const cut = fetched.findIndex((e) => e.received_at > now - settleMs);
    const events = cut < 0 ? fetched : fetched.slice(0, cut);
    if (!events.length) return undefined;
    const known = await clicksFor(sql, events);
    const agg = fold(events, known);
    const to = events[events.length - 1].seq;
    const moved = await sql.transaction(async (tx) => {
      const [again] = await tx.all<{ seq: unknown }>(`SELECT seq FROM rollup_state WHERE id = 'events'${lock}`);
      if (n(again?.seq) !== from) return true;
      await writeFolded(tx, agg, to, now);
      return false;
    });
    return moved ? 0 : events.length;
  }

  async function refreshOnce(now: number, settleMs: number, budgetMs: number) {
    const start = performance.now();
    let events = 0;
    for (;;) {
      const folded = await chunk(now, settleMs);
      if (folded === undefined) return { events, done: true };
      events += folded;
      if (performance.now() - start > budgetMs) return { events, done: false };
    }
  }

  return {
    refresh({ now = Date.now(), settleMs = 0, budgetMs = 2000 } = {}) {
      // One refresh at a time per node; a caller during one shares its result.
      running ??= refreshOnce(now, settleMs, budgetMs).finally(() => {
        running = undefined;
      });
      return running;
    },
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
      const rows = await sql.all<Record<string, unknown>>(
        `SELECT event_id, session_id, anonymous_id, ts, score, reasons, model_version, label, labelled_at
         FROM risk_flags WHERE site = ? AND ts >= ? AND ts < ? ORDER BY ts DESC`,
        [site, lo, hi],
      );
      const flags: RiskFlag[] = rows.map((r) => ({
        event_id: String(r.event_id),
        session_id: String(r.session_id),
        anonymous_id: String(r.anonymous_id),
        ts: n(r.ts),
        score: n(r.score),
        reasons: String(r.reasons)
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
        model_version: String(r.model_version),
        label: (r.label as RiskFlag['label']) ?? null,
        labelled_at: r.labelled_at === null ? null : n(r.labelled_at),
      }));
      const days = new Map<number, RiskSummary['days'][number]>();
      for (let day = from; day <= to; day++) days.set(day, { day, flags: 0, confirmed: 0, false: 0 });
      const reasons = new Map<string, number>();
      for (const f of flags) {
        const d = days.get(Math.floor(f.ts / DAY_MS));
        if (d) {
          d.flags += 1;
          if (f.label === 'confirmed') d.confirmed += 1;
          if (f.label === 'false') d.false += 1;
        }
        for (const r of f.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      }
      return {
        days: [...days.values()],
        reasons: [...reasons]
          .map(([reason, count]) => ({ reason, flags: count }))
          .sort((a, b) => b.flags - a.flags || a.reason.localeCompare(b.reason)),
        flags: flags.slice(0, limit),
      };
    },
    async label(site, eventId, label, at) {
      const found = await sql.all('SELECT event_id FROM risk_flags WHERE site = ? AND event_id = ?', [site, eventId]);
      if (!found.length) return false;
      await sql.run('UPDATE risk_flags SET label = ?, labelled_at = ? WHERE site = ? AND event_id = ?', [
        label,
        label ? at : null,
        site,
        eventId,
      ]);
      return true;
    },
    labels: (site) => readLabels(sql, site),
    async countConsent(site, day, analytics, personalization) {
      await sql.run(
        `INSERT INTO consent_counts (site, day, analytics, personalization, n) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (site, day, analytics, personalization) DO UPDATE SET n = consent_counts.n + 1`,
        [site, day, analytics ? 1 : 0, personalization ? 1 : 0],
      );
    },
    async putRun(site, kind, at, summary) {
      await sql.run(
        `INSERT INTO score_runs (site, kind, at, summary) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, kind, at) DO UPDATE SET summary = excluded.summary`,
        [site, kind, at, JSON.stringify(summary)],
      );
    },
    async runs(site, kind, limit = 2) {
      const rows = await sql.all<{ at: unknown; summary: string }>(
        'SELECT at, summary FROM score_runs WHERE site = ? AND kind = ? ORDER BY at DESC LIMIT ?',
        [site, kind, limit],
      );
      return rows.map((r) => ({ at: n(r.at), summary: JSON.parse(r.summary) }));
    },
    async erase(site, ids) {
      if (!ids.length) return;
      const list = marks(ids.length);
      await sql.run(
        `DELETE FROM rec_clicks WHERE site = ? AND session_id IN
           (SELECT session_id FROM rollup_sessions WHERE site = ? AND anonymous_id IN ${list})`,
        [site, site, ...ids],
      );
      for (const table of ['rollup_sessions', 'rollup_shoppers', 'risk_flags'])
        await sql.run(`DELETE FROM ${table} WHERE site = ? AND anonymous_id IN ${list}`, [site, ...ids]);
    },
  };
}
