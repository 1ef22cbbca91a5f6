/** @module dashboard/pages/segments — each segment's size, centroid, top categories, revenue share and change since the last run; its shoppers on a click. */
import { ACTION_LABELS, CUSTOMER_LABELS, label } from '@aisle/shared-models/labels';
import type { ModelHealth } from '@aisle/shared-models/models/health';
import { api, q } from '../api';
import { chart } from '../charts';
import { segmentColours } from '../colours';
import { card, fmt, h, table } from '../dom';
import { healthNote } from '../health';
import type { Page } from './types';

interface RunSegment {
  name: string;
  size: number;
  revenue: number;
  revenue_share: number;
  top_categories: string[];
}
interface Run {
  at: string;
  users: number;
  segments: RunSegment[];
}
interface SegmentValue {
  customers: number;
  orders: number;
  spend: number;
  spend_high_risk: number;
  churn: number | null;
}
interface Answer {
  sizes: Record<string, number>;
  /** `days` null: no customer-value forecast (the churn model has none); the mean churn risk still holds. */
  value: { days: number | null; currency: string | null; segments: Record<string, SegmentValue> };
  latest: Run | null;
  previous: Run | null;
  model: {
    version: number;
    k: number;
    silhouette: number;
    health: ModelHealth;
    centroids: { name: string; size: number; profile: Record<string, number> }[];
  } | null;
}
interface ProfileRow {
  user_id: string;
  segment: string | null;
  tags: string[];
  churn: number | null;
  value: { orders: number; spend: number } | null;
  action: string;
}

/** Centroid features shown on the radar, each scaled by its largest value across segments. */
const FEATURES = [
  'revenue',
  'purchases',
  'sessions',
  'views',
  'carts',
  'distinct_categories',
  'relative_price',
  'mobile_share',
];

export const segmentsPage: Page = async ({ site }) => {
  const s = await api.get<Answer>(q('/v1/admin/dashboard/segments', { site }));
  if (!s.latest && !Object.keys(s.sizes).length) {
    return h('p', { class: 'muted' }, 'No segments yet: run aisle score profile --publish for this site.');
  }
  const names = [...new Set([...(s.latest?.segments.map((x) => x.name) ?? []), ...Object.keys(s.sizes)])];
  const bySegment = new Map((s.latest?.segments ?? []).map((x) => [x.name, x]));
  const before = new Map((s.previous?.segments ?? []).map((x) => [x.name, x]));
  const total = names.reduce((n, name) => n + (s.sizes[name] ?? bySegment.get(name)?.size ?? 0), 0);
  const users = h('div', {});
  const days = s.value.days;
  const money = (x: number) => (s.value.currency ? fmt.money(x, s.value.currency) : fmt.int(x));
  const worth = (name: string) => s.value.segments[name];

  async function showUsers(name: string) {
    const answer = await api.get<{ profiles: ProfileRow[] }>(
      q('/v1/admin/profiles', { site, segment: name, limit: 50 }),
    );
    users.replaceChildren(
      card(
        `Shoppers in ${name} (first ${answer.profiles.length})`,
        table(
          ['user', 'tags', 'churn', ...(days ? [`expected spend (${days} d)`] : []), 'retention action'],
          answer.profiles.map((p) => [
            p.user_id,
            p.tags.map((t) => h('span', { class: 'tag' }, t)),
            p.churn === null ? '–' : fmt.pct(p.churn),
            ...(days ? [p.value ? money(p.value.spend) : '–'] : []),
            label(p.action, ACTION_LABELS),
          ]),
          days ? [2, 3] : [2],
          { 'data-table': 'segment-users' },
        ),
      ),
    );
  }

  const centroids = s.model?.centroids ?? [];
  const features = FEATURES.filter((f) => centroids.some((c) => f in c.profile));
  const colourOf = segmentColours([...names, ...centroids.map((c) => c.name)]);
  const scale = Object.fromEntries(
    features.map((f) => [f, Math.max(1e-9, ...centroids.map((c) => Math.abs(c.profile[f] ?? 0)))]),
  );
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted' },
      s.latest ? `Last scored ${fmt.time(s.latest.at)}` : '',
      s.previous ? `, compared with ${fmt.time(s.previous.at)}` : '',
      s.model
        ? `. Profile model v${s.model.version}: ${s.model.k} segments, silhouette ${fmt.num(s.model.silhouette)}.`
        : '',
    ),
    s.model ? healthNote(s.model.health, 'profile') : null,
    h(
      'div',
      { class: 'grid' },
      card(
        'Segment sizes',
        chart('segment-sizes', {
          type: 'bar',
          data: {
            labels: names,
            datasets: [
              {
                label: 'shoppers',
                data: names.map((n) => s.sizes[n] ?? bySegment.get(n)?.size ?? 0),
                backgroundColor: names.map(colourOf),
              },
            ],
          },
          options: {
            plugins: { legend: { display: false } },
            scales: { y: { beginAtZero: true, title: { display: true, text: 'shoppers' } } },
          },
        }),
      ),
      card(
        'Centroid profiles (each feature relative to its largest segment)',
        centroids.length
          ? chart('segment-centroids', {
              type: 'radar',
              data: {
                labels: features.map((f) => label(f, CUSTOMER_LABELS)),
                datasets: centroids.map((c) => ({
                  label: c.name,
                  data: features.map((f) => (c.profile[f] ?? 0) / scale[f]),
                  borderColor: colourOf(c.name),
                  backgroundColor: 'transparent',
                })),
              },
              // From 0, so a segment's size on the chart is its share of the largest; labels small enough not to overlap.
              options: {
                scales: {
                  r: {
                    min: 0,
                    max: 1,
                    ticks: { display: false, stepSize: 0.25 },
                    pointLabels: { font: { size: 11 } },
                  },
                },
              },
            })
          : h('p', { class: 'muted' }, 'No profile model published for this site.'),
      ),
    ),
    card(
      'Segments',
      table(
        [
          'segment',
          'shoppers',
          'share',
          'revenue share',
          'mean churn',
          ...(days ? [`expected spend, ${days} d`, 'at high risk'] : []),
          'top categories',
          'since last run',
          '',
        ],
        names.map((name) => {
          const v = worth(name);
          const size = s.sizes[name] ?? bySegment.get(name)?.size ?? 0;
          const run = bySegment.get(name);
          const prev = before.get(name);
          const change = prev && run ? run.size - prev.size : null;
          const open = h('button', { type: 'button', 'data-segment': name }, 'shoppers');
          open.addEventListener('click', () => void showUsers(name));
          return [
            name,
            h('span', { 'data-metric': `segment-size-${name}` }, fmt.int(size)),
            total ? fmt.pct(size / total) : '–',
            run ? fmt.pct(run.revenue_share) : '–',
            v?.churn == null ? '–' : fmt.pct(v.churn),
            ...(days
              ? [
                  h('span', { 'data-metric': `segment-value-${name}` }, v ? money(v.spend) : '–'),
                  v ? money(v.spend_high_risk) : '–',
                ]
              : []),
            (run?.top_categories ?? []).map((c) => h('span', { class: 'tag' }, c)),
            change === null ? (s.previous ? 'new' : 'first run') : `${change >= 0 ? '+' : ''}${fmt.int(change)}`,
            open,
          ];
        }),
        days ? [1, 2, 3, 4, 5, 6, 8] : [1, 2, 3, 4, 6],
        { 'data-table': 'segments' },
      ),
    ),
    users,
  );
};
