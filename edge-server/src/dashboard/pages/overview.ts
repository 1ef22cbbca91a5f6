/** @module dashboard/pages/overview — events per day by type, active shoppers, the purchase funnel, revenue, consent. */
import { EVENT_LABELS, label } from '@aisle/shared-models/labels';
import type { Overview } from '../../storage/rollups/types';
import { api, q } from '../api';
import { chart } from '../charts';
import { eventColour, OTHER_COLOUR } from '../colours';
import { card, fmt, h, kpi, table } from '../dom';
import { periodLabel } from '../period';
import type { Page } from './types';

type Answer = Overview & {
  range: { from: number; to: number };
  previous: Pick<Overview, 'events' | 'shoppers' | 'sessions' | 'funnel' | 'revenue'>;
};
const SHOWN_TYPES = 6;

export const overviewPage: Page = async ({ site, days, period }) => {
  const o = await api.get<Answer>(q('/v1/admin/dashboard/overview', { site, ...days }));
  const totals = new Map<string, number>();
  for (const d of o.days) for (const [t, n] of Object.entries(d.byType)) totals.set(t, (totals.get(t) ?? 0) + n);
  const types = [...totals].sort((a, b) => b[1] - a[1]).map(([t]) => t);
  const shown = types.slice(0, SHOWN_TYPES);
  const labels = o.days.map((d) => fmt.day(d.day));
  const series = shown.map((t) => ({
    label: label(t, EVENT_LABELS),
    data: o.days.map((d) => d.byType[t] ?? 0),
    backgroundColor: eventColour(t),
    stack: 'events',
  }));
  if (types.length > SHOWN_TYPES) {
    series.push({
      label: 'other events',
      data: o.days.map((d) => types.slice(SHOWN_TYPES).reduce((n, t) => n + (d.byType[t] ?? 0), 0)),
      backgroundColor: OTHER_COLOUR,
      stack: 'events',
    });
  }
  const top = o.funnel[0]?.sessions ?? 0;
  const purchases = o.funnel[o.funnel.length - 1]?.sessions ?? 0;
  const before = o.previous;
  const vs = (now: number, then: number, shown?: string) => ({ now, before: then, shown });
  const consentRate = o.consent.decisions ? o.consent.analytics / o.consent.decisions : null;
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted', 'data-metric': 'period' },
      `${periodLabel(period)}: ${fmt.day(o.range.from)} – ${fmt.day(o.range.to)} (UTC), site ${site}; each figure against the ${o.range.to === o.range.from ? 'day' : `${o.range.to - o.range.from + 1} days`} before.`,
    ),
    h(
      'div',
      { class: 'kpis' },
      kpi('Events', fmt.int(o.events), 'events', vs(o.events, before.events)),
      kpi('Active shoppers', fmt.int(o.shoppers), 'shoppers', vs(o.shoppers, before.shoppers)),
      kpi('Sessions', fmt.int(o.sessions), 'sessions', vs(o.sessions, before.sessions)),
      kpi(
        'Purchase sessions',
        fmt.int(purchases),
        'purchase-sessions',
        vs(purchases, before.funnel[before.funnel.length - 1]?.sessions ?? 0),
      ),
      ...o.revenue.map((r) => {
        const then = before.revenue.find((x) => x.currency === r.currency)?.value ?? 0;
        return kpi(
          `Revenue (${r.currency})`,
          fmt.money(r.value, r.currency),
          `revenue-${r.currency}`,
          vs(r.value, then, fmt.money(then, r.currency)),
        );
      }),
      kpi('Consent rate (analytics)', consentRate === null ? 'no choices yet' : fmt.pct(consentRate), 'consent-rate'),
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Events per day by type',
        chart('events-per-day', {
          type: 'bar',
          data: { labels, datasets: series },
          options: {
            scales: {
              x: { stacked: true },
              y: { stacked: true, beginAtZero: true, title: { display: true, text: 'events per day' } },
            },
          },
        }),
      ),
      card(
        'Active shoppers per day',
        chart('shoppers-per-day', {
          type: 'line',
          data: {
            labels,
            datasets: [
              {
                label: 'shoppers',
                data: o.days.map((d) => d.shoppers),
                borderColor: '#2f6fed',
                backgroundColor: 'rgba(47,111,237,0.15)',
                fill: true,
              },
            ],
          },
          options: {
            scales: {
              y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'shoppers per day' } },
            },
            plugins: { legend: { display: false } },
          },
        }),
      ),
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Funnel: sessions reaching each step',
        chart('funnel', {
          type: 'bar',
          data: {
            labels: o.funnel.map((f) => label(f.step, EVENT_LABELS)),
            datasets: [
              {
                label: 'sessions',
                data: o.funnel.map((f) => f.sessions),
                backgroundColor: o.funnel.map((f) => eventColour(f.step)),
              },
            ],
          },
          options: {
            indexAxis: 'y',
            plugins: { legend: { display: false } },
            scales: { x: { beginAtZero: true, title: { display: true, text: 'sessions' } } },
          },
        }),
        table(
          ['step', 'sessions', 'of previous', 'drop-off', 'of first'],
          o.funnel.map((f, i) => {
            const prev = i ? o.funnel[i - 1].sessions : f.sessions;
            return [
              label(f.step, EVENT_LABELS),
              h('span', { 'data-metric': `funnel-${f.step}` }, fmt.int(f.sessions)),
              prev ? fmt.pct(f.sessions / prev) : '–',
              i && prev ? fmt.pct(1 - f.sessions / prev) : '–',
              top ? fmt.pct(f.sessions / top) : '–',
            ];
          }),
          [1, 2, 3, 4],
        ),
      ),
      card(
        'Revenue and consent',
        o.revenue.length
          ? table(
              ['currency', 'revenue', 'orders', 'average order'],
              o.revenue.map((r) => [
                r.currency,
                fmt.money(r.value, r.currency),
                fmt.int(r.orders),
                r.orders ? fmt.money(r.value / r.orders, r.currency) : '–',
              ]),
              [1, 2, 3],
            )
          : h('p', { class: 'muted' }, 'No purchases in this period.'),
        h(
          'p',
          { class: 'muted' },
          o.consent.decisions
            ? `${fmt.int(o.consent.decisions)} consent choices: ${fmt.int(o.consent.analytics)} allowed analytics, ${fmt.int(o.consent.personalization)} allowed personalisation.`
            : 'No shopper has made a consent choice in this period (the count holds the choice alone, no id).',
        ),
      ),
    ),
  );
};
