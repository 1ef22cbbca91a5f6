/**
 * @module edge-server/storage/rollups/fold — a chunk of events as the aggregates the dashboard
 * reads: events per day, type and currency, shoppers present per day, each session's funnel steps
 * and group, recommendations by model and backend with the purchases they led to, risk flags.
 * Pure: the callers read the events (the refresh from the table, the ingest from the batch it is
 * storing) and write the result (`writeFolded`).
 */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { DAY_MS, type RollupEvent, STEP } from './types';

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
 * How the rollups take in a batch as it is stored: its aggregates made ahead (on the ingest's
 * thread) as if every event were new, or, when they depend on what is stored already (a purchase is
 * attributed to a recommendation clicked in an earlier batch), the batch's own projection of the
 * fields the fold reads, folded where the store is. Never rows read back.
 */
export type BatchFold = { folded: Folded } | { events: RollupEvent[] };

/** What `fold` reads of each event: the columns and the fields it aggregates, nothing more. */
export function projection(site: string, events: readonly AisleEvent[], receivedAt: number): RollupEvent[] {
  return events.map((e) => ({
    seq: 0,
    site,
    received_at: receivedAt,
    event: {
      event_id: e.event_id,
      type: e.type,
      ts: e.ts,
      anonymous_id: e.anonymous_id,
      session_id: e.session_id,
      group: e.group,
      value: e.value,
      currency: e.currency,
      items: e.items,
      props: e.props,
    },
  }));
}

/** The batch as the rollups take it in (see `BatchFold`). */
export function batchFold(site: string, events: readonly AisleEvent[], receivedAt: number): BatchFold {
  const projected = projection(site, events, receivedAt);
  return events.some((e) => e.type === 'purchase') ? { events: projected } : { folded: fold(projected, new Map()) };
}
