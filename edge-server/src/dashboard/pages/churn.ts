/**
 * @module dashboard/pages/churn — churn probability distribution, the at-risk list with reasons,
 * each shopper's expected orders and spend and their retention action, CSV export, the model's
 * test metrics and how its customer-value forecast did against the simple ones.
 */
import { ACTION_LABELS, label } from '@aisle/shared-models/labels';
import type { ModelHealth } from '@aisle/shared-models/models/health';
import { api, q } from '../api';
import { chart } from '../charts';
import { BAND_COLOURS } from '../colours';
import { card, fmt, h, kpi, table } from '../dom';
import { healthNote } from '../health';
import type { Page } from './types';

interface ValueMetrics {
  customers: number;
  orders_mae: number;
  spend_mae: number;
  orders_spearman: number;
  spend_spearman: number;
  predicted_spend: number;
  actual_spend: number;
}
interface Answer {
  scored: number;
  bands: { high: number; medium: number; low: number };
  histogram: { from: number; to: number; users: number }[];
  model: {
    version: number;
    threshold: number | null;
    metrics: Record<string, number> | null;
    health: ModelHealth;
  } | null;
  value: {
    currency: string | null;
    days: number;
    fitted_at: string;
    customers: number;
    orders: number;
    spend: number;
    spend_high_risk: number;
    metrics: ValueMetrics | null;
    baselines: Record<string, ValueMetrics> | null;
  } | null;
}
interface ProfileRow {
  user_id: string;
  segment: string | null;
  churn: number | null;
  churn_band: string | null;
  reasons: { feature: string; value: string | number; effect: number; text?: string }[];
  value: { days: number; orders: number; spend: number; active: number | null } | null;
  action: string;
  message: string;
}

const BASELINES: Record<string, string> = {
  last_period: 'the last period again',
  average_rate: 'each customer’s own average rate',
};

/** How the customer-value forecast did on the period after it was fitted, beside the simple forecasts. */
function valueCard(v: NonNullable<Answer['value']>, money: (x: number) => string) {
  const m = v.metrics;
  if (!m)
    return card(
      `Customer value (next ${v.days} days)`,
      h('p', { class: 'muted' }, `Fitted on ${fmt.int(v.customers)} customers; not yet judged on a later period.`),
    );
  const rows: [string, ValueMetrics][] = [
    ['BG/NBD + Gamma-Gamma', m],
    ...Object.entries(v.baselines ?? {}).map(([k, b]): [string, ValueMetrics] => [BASELINES[k] ?? k, b]),
  ];
  const simple = Object.values(v.baselines ?? {}).map((b) => b.spend_mae);
  // Without simple forecasts beside it there is nothing to be closer than: said plainly, not as a win.
  const beats = simple.length ? m.spend_mae < Math.min(...simple) : undefined;
  return card(
    `Customer value: forecast of the ${v.days} days after ${v.fitted_at.slice(0, 10)}`,
    table(
      ['forecast', 'error per customer (spend)', 'rank agreement (spend)', 'error per customer (orders)'],
      rows.map(([name, x]) => [name, money(x.spend_mae), fmt.num(x.spend_spearman, 2), fmt.num(x.orders_mae, 2)]),
      [1, 2, 3],
      { 'data-table': 'value-model' },
    ),
    h(
      'p',
      { class: beats === false ? 'warning' : 'muted', 'data-metric': 'value-verdict' },
      beats === undefined
        ? `Judged on ${fmt.int(m.customers)} customers, with no simple forecast beside it.`
        : beats
          ? `Closer than the simple forecasts for ${fmt.int(m.customers)} customers.`
          : `No closer than a simple forecast (${fmt.int(m.customers)} customers): read the expected spend as a rough guide.`,
      ` Forecast ${money(m.predicted_spend)} in all; they spent ${money(m.actual_spend)}.`,
    ),
  );
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
  const value = c.value;
  const money = (x: number) => (value?.currency ? fmt.money(x, value.currency) : fmt.int(x));
  const minChurn = h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: '0.6', name: 'minChurn' });
  // Likely to leave and worth keeping: with a value forecast, the at-risk list leads with the most expected spend.
  const sort = h(
    'select',
    { name: 'sort' },
    ...(value ? [h('option', { value: 'value' }, 'most expected spend first')] : []),
    h('option', { value: 'user' }, 'by shopper id'),
  );
  const segment = h(
    'select',
    { name: 'segment' },
    h('option', { value: '' }, 'every segment'),
    ...Object.keys(segments.sizes).map((s) => h('option', { value: s }, s)),
  );
  const list = h('div', {});
  const filters = () => ({ site, minChurn: minChurn.value, segment: segment.value, sort: sort.value });

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
        [
          'user',
          'segment',
          'churn',
          'band',
          ...(value ? [`expected orders (${value.days} d)`, `expected spend (${value.days} d)`] : []),
          'reasons',
          'retention action',
        ],
        answer.profiles.map((p) => [
          p.user_id,
          p.segment ?? '–',
          p.churn === null ? '–' : fmt.pct(p.churn),
          p.churn_band ?? '–',
          ...(value ? [p.value ? fmt.num(p.value.orders, 1) : '–', p.value ? money(p.value.spend) : '–'] : []),
          p.reasons.map((r) =>
            h(
              'span',
              { class: 'tag', title: `${r.feature} = ${r.value}; effect ${fmt.num(r.effect)}` },
              r.text ?? `${r.feature} = ${r.value}`,
            ),
          ),
          h('span', { title: p.message }, label(p.action, ACTION_LABELS)),
        ]),
        value ? [2, 4, 5] : [2],
        { 'data-table': 'at-risk' },
      ),
    );
  }
  minChurn.addEventListener('change', () => void load());
  segment.addEventListener('change', () => void load());
  sort.addEventListener('change', () => void load());
  const exportCsv = h('button', { type: 'button', 'data-action': 'export-csv' }, 'Export CSV');
  exportCsv.addEventListener(
    'click',
    () => void api.download(q('/v1/admin/profiles.csv', filters()), `aisle-churn-${site}.csv`),
  );
  await load();

  const metrics = c.model?.metrics;
  const weak = c.model?.health.verdict === 'weak';
  return h(
    'div',
    {},
    // A model no better than chance is said first, before any number that comes from it.
    weak
      ? h(
          'div',
          { class: 'banner warning', role: 'alert', 'data-health': 'churn-banner' },
          h('strong', {}, `Churn model v${c.model?.version} is no better than a simple baseline. `),
          `${(c.model?.health.reason ?? '').replace(/^./, (x) => x.toUpperCase())}. Retention actions that go by churn risk are not proposed until a better model is published.`,
        )
      : null,
    h(
      'div',
      { class: 'kpis' },
      kpi('Scored shoppers', fmt.int(c.scored), 'scored'),
      kpi('High risk (≥ 60 %)', fmt.int(c.bands.high), 'band-high'),
      kpi('Medium risk (30–60 %)', fmt.int(c.bands.medium), 'band-medium'),
      kpi('Low risk', fmt.int(c.bands.low), 'band-low'),
      ...(value
        ? [
            kpi(`Expected spend, next ${value.days} days`, money(value.spend), 'value-spend'),
            kpi('…of it from high-risk shoppers', money(value.spend_high_risk), 'value-spend-high-risk'),
          ]
        : []),
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
                  b.from >= 0.6 ? BAND_COLOURS.high : b.from >= 0.3 ? BAND_COLOURS.medium : BAND_COLOURS.low,
                ),
              },
            ],
          },
          options: {
            plugins: { legend: { display: false } },
            scales: {
              x: { title: { display: true, text: 'chance of leaving (churn probability)' } },
              y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'shoppers' } },
            },
          },
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
        c.model ? healthNote(c.model.health, 'churn') : null,
        c.model?.threshold != null ? h('p', { class: 'muted' }, `Flag threshold ${fmt.num(c.model.threshold)}`) : null,
      ),
    ),
    value ? valueCard(value, money) : null,
    card(
      'At-risk shoppers',
      h(
        'div',
        { class: 'toolbar' },
        h('label', {}, 'churn at least ', minChurn),
        h('label', {}, 'segment ', segment),
        h('label', {}, 'order ', sort),
        exportCsv,
      ),
      list,
    ),
  );
};
