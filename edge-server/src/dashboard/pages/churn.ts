/** @module dashboard/pages/churn — churn probability distribution, the at-risk list with reasons and actions, CSV export, the model's test metrics. */
import { api, q } from '../api';
import { chart, PALETTE } from '../charts';
import { card, fmt, h, kpi, table } from '../dom';
import type { Page } from './types';

interface Answer {
  scored: number;
  bands: { high: number; medium: number; low: number };
  histogram: { from: number; to: number; users: number }[];
  model: { version: number; threshold: number | null; metrics: Record<string, number> | null } | null;
}
interface ProfileRow {
  user_id: string;
  segment: string | null;
  churn: number | null;
  churn_band: string | null;
  reasons: { feature: string; value: string | number; effect: number; text?: string }[];
  action: string;
  message: string;
}

const METRICS: [string, string][] = [
  ['precision', 'precision'],
  ['recall', 'recall'],
  ['f1', 'F1'],
  ['rocAuc', 'ROC-AUC'],
  ['prAuc', 'PR-AUC'],
];

export const churnPage: Page = async ({ site }) => {
  const [c, segments] = await Promise.all([
    api.get<Answer>(q('/v1/admin/dashboard/churn', { site })),
    api.get<{ sizes: Record<string, number> }>(q('/v1/admin/dashboard/segments', { site })),
  ]);
  const minChurn = h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: '0.6', name: 'minChurn' });
  const segment = h(
    'select',
    { name: 'segment' },
    h('option', { value: '' }, 'every segment'),
    ...Object.keys(segments.sizes).map((s) => h('option', { value: s }, s)),
  );
  const list = h('div', {});
  const filters = () => ({ site, minChurn: minChurn.value, segment: segment.value });

  async function load() {
    const answer = await api.get<{ profiles: ProfileRow[]; next_cursor: string | null }>(
      q('/v1/admin/profiles', { ...filters(), limit: 100 }),
    );
    list.replaceChildren(
      h(
        'p',
        { class: 'muted', 'data-metric': 'at-risk-shown' },
        `${answer.profiles.length}${answer.next_cursor ? '+' : ''} shoppers`,
      ),
      table(
        ['user', 'segment', 'churn', 'band', 'reasons', 'retention action'],
        answer.profiles.map((p) => [
          p.user_id,
          p.segment ?? '–',
          p.churn === null ? '–' : fmt.pct(p.churn),
          p.churn_band ?? '–',
          p.reasons.map((r) =>
            h(
              'span',
              { class: 'tag', title: `${r.feature} = ${r.value}; effect ${fmt.num(r.effect)}` },
              r.text ?? `${r.feature} = ${r.value}`,
            ),
          ),
          h('span', { title: p.message }, p.action.replace(/_/g, ' ')),
        ]),
        [2],
        { 'data-table': 'at-risk' },
      ),
    );
  }
  minChurn.addEventListener('change', () => void load());
  segment.addEventListener('change', () => void load());
  const exportCsv = h('button', { type: 'button', 'data-action': 'export-csv' }, 'Export CSV');
  exportCsv.addEventListener(
    'click',
    () => void api.download(q('/v1/admin/profiles.csv', filters()), `aisle-churn-${site}.csv`),
  );
  await load();

  const metrics = c.model?.metrics;
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'kpis' },
      kpi('Scored shoppers', fmt.int(c.scored), 'scored'),
      kpi('High risk (≥ 60 %)', fmt.int(c.bands.high), 'band-high'),
      kpi('Medium risk (30–60 %)', fmt.int(c.bands.medium), 'band-medium'),
      kpi('Low risk', fmt.int(c.bands.low), 'band-low'),
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Distribution of churn probability',
        chart('churn-histogram', {
          type: 'bar',
          data: {
            labels: c.histogram.map((b) => `${Math.round(b.from * 100)}–${Math.round(b.to * 100)} %`),
            datasets: [
              {
                label: 'shoppers',
                data: c.histogram.map((b) => b.users),
                backgroundColor: c.histogram.map((b) =>
                  b.from >= 0.6 ? PALETTE[3] : b.from >= 0.3 ? PALETTE[1] : PALETTE[2],
                ),
              },
            ],
          },
          options: { plugins: { legend: { display: false } } },
        }),
      ),
      card(
        c.model ? `Model v${c.model.version} on its test set` : 'Model',
        metrics
          ? table(
              ['metric', 'value'],
              METRICS.filter(([k]) => typeof metrics[k] === 'number').map(([k, label]) => [
                label,
                h('span', { 'data-metric': `churn-${k}` }, fmt.num(metrics[k])),
              ]),
              [1],
            )
          : h('p', { class: 'muted' }, 'No churn model published for this site.'),
        c.model?.threshold != null ? h('p', { class: 'muted' }, `Flag threshold ${fmt.num(c.model.threshold)}`) : null,
      ),
    ),
    card(
      'At-risk shoppers',
      h(
        'div',
        { class: 'toolbar' },
        h('label', {}, 'churn at least ', minChurn),
        h('label', {}, 'segment ', segment),
        exportCsv,
      ),
      list,
    ),
  );
};
