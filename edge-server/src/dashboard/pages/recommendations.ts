/** @module dashboard/pages/recommendations — impressions, click-through and attributed purchases by model version and backend, against the hold-out. */
import type { ModelHealth } from '@aisle/shared-models/models/health';
import type { RecResults } from '../../storage/rollups/types';
import { api, q } from '../api';
import { chart, PALETTE } from '../charts';
import { card, fmt, h, kpi, table } from '../dom';
import { healthNote } from '../health';
import type { Page } from './types';

export const recommendationsPage: Page = async ({ site, days }) => {
  const r = await api.get<
    RecResults & {
      model: { version: number; health: ModelHealth } | null;
      previous: { impressions: number; clicks: number; purchases: number };
    }
  >(q('/v1/admin/dashboard/recommendations', { site, ...days }));
  const sum = (k: 'impressions' | 'clicks' | 'purchases') => r.byModel.reduce((n, m) => n + m[k], 0);
  const impressions = sum('impressions');
  const clicks = sum('clicks');
  const [treatment, control] = r.groups;
  const grouped = treatment.sessions + control.sessions;
  const lift = control.rate ? treatment.rate / control.rate - 1 : null;
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'kpis' },
      kpi('Impressions', fmt.int(impressions), 'impressions', {
        now: impressions,
        before: r.previous.impressions,
      }),
      kpi('Clicks', fmt.int(clicks), 'clicks', {
        now: clicks,
        before: r.previous.clicks,
      }),
      kpi('Click-through rate', impressions ? fmt.pct(clicks / impressions, 2) : '–', 'ctr'),
      kpi('Attributed purchases', fmt.int(sum('purchases')), 'attributed', {
        now: sum('purchases'),
        before: r.previous.purchases,
      }),
      kpi('Hold-out share (observed)', grouped ? fmt.pct(control.sessions / grouped) : '–', 'holdout'),
      kpi('Conversion lift vs hold-out', lift === null ? '–' : `${lift >= 0 ? '+' : ''}${fmt.pct(lift)}`, 'lift'),
    ),
    r.model ? healthNote(r.model.health, 'recommender') : null,
    h(
      'div',
      { class: 'grid' },
      card(
        'Click-through rate by model version and backend',
        chart('ctr-by-model', {
          type: 'bar',
          data: {
            labels: r.byModel.map((m) => `v${m.model_version} · ${m.backend}`),
            datasets: [{ label: 'CTR %', data: r.byModel.map((m) => m.ctr * 100), backgroundColor: PALETTE[0] }],
          },
          options: {
            plugins: { legend: { display: false } },
            scales: { y: { beginAtZero: true, title: { display: true, text: 'click-through rate (%)' } } },
          },
        }),
      ),
      card(
        'Conversion: shoppers with recommendations against the hold-out',
        chart('holdout', {
          type: 'bar',
          data: {
            labels: ['with recommendations (treatment)', 'hold-out (control)'],
            datasets: [
              {
                label: 'sessions that purchased, %',
                data: [treatment.rate * 100, control.rate * 100],
                backgroundColor: [PALETTE[0], PALETTE[8]],
              },
            ],
          },
          options: {
            plugins: { legend: { display: false } },
            scales: { y: { beginAtZero: true, title: { display: true, text: 'sessions that purchased (%)' } } },
          },
        }),
      ),
    ),
    card(
      'By model version and backend',
      table(
        ['model', 'backend', 'impressions', 'clicks', 'CTR', 'attributed purchases'],
        r.byModel.map((m) => [
          `v${m.model_version}`,
          m.backend,
          fmt.int(m.impressions),
          fmt.int(m.clicks),
          fmt.pct(m.ctr, 2),
          fmt.int(m.purchases),
        ]),
        [2, 3, 4, 5],
        { 'data-table': 'by-model' },
      ),
      h(
        'p',
        { class: 'muted' },
        'A purchase is attributed when it buys an item a recommendation was clicked for earlier in the same session. ',
        `Sessions: ${fmt.int(treatment.sessions)} treatment (${fmt.int(treatment.with_recs)} shown recommendations), ${fmt.int(control.sessions)} hold-out. `,
        'The hold-out share is set in the tag (data-control, see Install).',
      ),
    ),
  );
};
