/**
 * @module dashboard/pages/risk — flagged sessions over time (each session once, however many of its
 * pages sent a flag), their reasons in words, each session's events on demand, and the labels the
 * next anomaly training learns from.
 */
import { EVENT_LABELS, label, SESSION_LABELS } from '@aisle/shared-models/labels';
import type { FlagRate, ModelHealth } from '@aisle/shared-models/models/health';
import type { RiskSession, RiskSummary } from '../../storage/rollups/types';
import { api, q } from '../api';
import { chart } from '../charts';
import { FLAG_COLOURS } from '../colours';
import { card, fmt, h, kpi, table } from '../dom';
import { healthNote } from '../health';
import type { Page } from './types';

type Answer = RiskSummary & {
  model: { version: number; health: ModelHealth; metrics?: Record<string, unknown> } | null;
  flag_rate: (FlagRate & { model_version?: number }) | null;
  range: { days: number };
  previous: { total: number; confirmed: number; false: number };
};
interface SessionEvents {
  flags: number;
  events: { type: string; ts: number; path: string | null; items: string[] }[];
  more: boolean;
}

/** A flagged session's events, fetched when the merchant opens them. */
function sessionEvents(site: string, s: RiskSession) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const details = h('details', { 'data-session-events': s.session_id }, h('summary', {}, 'events'), body);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const r = await api.get<SessionEvents>(
        q('/v1/admin/dashboard/risk/session', { site, anonymous_id: s.anonymous_id, session_id: s.session_id }),
      );
      body.replaceChildren(
        h(
          'ol',
          { class: 'events' },
          ...r.events.map((e) =>
            h(
              'li',
              {},
              h('time', {}, fmt.time(e.ts).slice(11)),
              ' ',
              label(e.type, EVENT_LABELS),
              e.items.length ? ` · ${e.items.join(', ')}` : '',
              e.path ? h('span', { class: 'muted' }, ` ${e.path}`) : null,
            ),
          ),
        ),
        ...(r.more ? [h('p', { class: 'muted' }, 'Only its newest events are shown.')] : []),
      );
    } catch (error) {
      loaded = false;
      body.replaceChildren(h('p', { class: 'error' }, (error as Error).message));
    }
  });
  return details;
}

/** The period's flagged share beside the calibrated one: a warning when far past it, a muted line otherwise. */
function flagRateNote(rate: Answer['flag_rate']) {
  if (!rate) return null;
  const high = rate.verdict === 'high';
  return h(
    'p',
    { class: high ? 'warning' : 'muted', role: high ? 'alert' : undefined, 'data-flag-rate': rate.verdict },
    high
      ? `More flags than ${rate.model_version ? `model v${rate.model_version}` : 'the model'} was calibrated for: `
      : '',
    rate.reason,
    '.',
  );
}

/** Most never-varied actions named in the note; the rest are counted. */
const NEVER_VARIED_NAMED = 8;

/**
 * What the model never saw vary (`metrics.never_varied`: no session it trained on had a sign-in,
 * say): a session with one stands out, which is right for a shop that has no sign-in and wrong the
 * day one is added — so the merchant is told which, and what to do. Only columns the page knows
 * are named, at most `NEVER_VARIED_NAMED` of them.
 */
function neverVariedNote(model: Answer['model']) {
  const columns = model?.metrics?.never_varied;
  if (!Array.isArray(columns)) return null;
  const names = columns.filter((c): c is string => typeof c === 'string' && Object.hasOwn(SESSION_LABELS, c));
  if (!names.length) return null;
  const shown = names.slice(0, NEVER_VARIED_NAMED).map((c) => label(c, SESSION_LABELS));
  const more = names.length - shown.length;
  return h(
    'p',
    { class: 'muted', 'data-never-varied': names.join(' ') },
    `Model v${model?.version}'s training sessions never varied in ${shown.join(', ')}${more ? ` and ${more} more` : ''}, so a session that differs in one stands out as unusual and is likely flagged. If the shop has since added such a step, label those flags false alarms and train again.`,
  );
}

export const riskPage: Page = async ({ site, role, refresh, days: range }) => {
  const r = await api.get<Answer>(q('/v1/admin/dashboard/risk', { site, ...range }));
  const days = r.range.days;
  const labelButton = (eventId: string, value: 'confirmed' | 'false' | null, text: string) => {
    const b = h('button', { type: 'button', disabled: role !== 'operator', 'data-label': value ?? 'clear' }, text);
    b.addEventListener('click', async () => {
      await api.send('POST', `/v1/admin/risk-flags/${encodeURIComponent(eventId)}/label`, { site, label: value });
      refresh();
    });
    return b;
  };
  const labelText = { confirmed: 'confirmed', false: 'false alarm' } as const;
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'kpis' },
      kpi(`Flagged sessions (${days} days)`, fmt.int(r.total), 'flags', {
        now: r.total,
        before: r.previous.total,
        upIsGood: false,
      }),
      kpi('Confirmed', fmt.int(r.days.reduce((n, d) => n + d.confirmed, 0)), 'confirmed'),
      kpi('False alarms', fmt.int(r.days.reduce((n, d) => n + d.false, 0)), 'false'),
      kpi('Share of sessions flagged', r.seen.sessions ? fmt.pct(r.seen.flagged / r.seen.sessions) : '–', 'flag-share'),
      kpi('Anomaly model', r.model ? `v${r.model.version}` : 'none', 'model'),
    ),
    r.model ? healthNote(r.model.health, 'anomaly') : null,
    flagRateNote(r.flag_rate),
    neverVariedNote(r.model),
    h(
      'div',
      { class: 'grid' },
      card(
        'Flagged sessions per day',
        chart('flags-per-day', {
          type: 'line',
          data: {
            labels: r.days.map((d) => fmt.day(d.day)),
            datasets: [
              { label: 'flagged', data: r.days.map((d) => d.sessions), borderColor: FLAG_COLOURS.flagged },
              { label: 'confirmed', data: r.days.map((d) => d.confirmed), borderColor: FLAG_COLOURS.confirmed },
              { label: 'false alarm', data: r.days.map((d) => d.false), borderColor: FLAG_COLOURS.false },
            ],
          },
          options: {
            scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'sessions' } } },
          },
        }),
      ),
      card(
        'Why sessions were flagged',
        chart('flag-reasons', {
          type: 'bar',
          data: {
            labels: r.reasons.map((x) => label(x.reason, SESSION_LABELS)),
            datasets: [
              { label: 'sessions', data: r.reasons.map((x) => x.sessions), backgroundColor: FLAG_COLOURS.flagged },
            ],
          },
          options: {
            indexAxis: 'y',
            plugins: { legend: { display: false } },
            scales: { x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'sessions' } } },
          },
        }),
      ),
    ),
    card(
      'Flagged sessions',
      h(
        'p',
        { class: 'muted' },
        'Mark each session confirmed or a false alarm: the next aisle train anomaly --from the store leaves confirmed sessions out of what it learns as normal and keeps false alarms in.',
      ),
      r.sessions.length
        ? table(
            ['first flagged', 'session', 'highest score', 'reasons', 'model', 'label', '', ''],
            r.sessions.map((s) => [
              fmt.time(s.first_ts),
              [
                h('code', { title: s.session_id }, s.session_id.slice(0, 18)),
                s.flags > 1 ? h('div', { class: 'muted' }, `flagged on ${s.flags} pages`) : null,
              ],
              fmt.num(s.score),
              s.reasons.map((x) => h('span', { class: 'tag', title: x }, label(x, SESSION_LABELS))),
              s.model_version ? `v${s.model_version}` : '–',
              h('span', { 'data-flag-label': s.event_id }, s.label ? labelText[s.label] : '–'),
              h(
                'span',
                { class: 'actions' },
                labelButton(s.event_id, 'confirmed', 'Confirm'),
                ' ',
                labelButton(s.event_id, 'false', 'False alarm'),
                s.label ? [' ', labelButton(s.event_id, null, 'Clear')] : null,
              ),
              sessionEvents(site, s),
            ]),
            [2],
            { 'data-table': 'flags' },
          )
        : h('p', { class: 'muted' }, 'No session was flagged in this period.'),
    ),
  );
};
