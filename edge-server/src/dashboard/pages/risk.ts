/** @module dashboard/pages/risk — flagged sessions over time, their reasons, and labels the next anomaly training learns from. */
import type { RiskSummary } from '../../storage/rollups/types';
import { api, q } from '../api';
import { chart, PALETTE } from '../charts';
import { card, fmt, h, kpi, table } from '../dom';
import type { Page } from './types';

type Answer = RiskSummary & { model: { version: number } | null };

export const riskPage: Page = async ({ site, role, refresh }) => {
  const r = await api.get<Answer>(q('/v1/admin/dashboard/risk', { site, days: 30 }));
  const total = r.days.reduce((n, d) => n + d.flags, 0);
  const labelButton = (eventId: string, label: 'confirmed' | 'false' | null, text: string) => {
    const b = h('button', { type: 'button', disabled: role !== 'operator', 'data-label': label ?? 'clear' }, text);
    b.addEventListener('click', async () => {
      await api.send('POST', `/v1/admin/risk-flags/${encodeURIComponent(eventId)}/label`, { site, label });
      refresh();
    });
    return b;
  };
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'kpis' },
      kpi('Flagged sessions (30 days)', fmt.int(total), 'flags'),
      kpi('Confirmed', fmt.int(r.days.reduce((n, d) => n + d.confirmed, 0)), 'confirmed'),
      kpi('False alarms', fmt.int(r.days.reduce((n, d) => n + d.false, 0)), 'false'),
      kpi('Anomaly model', r.model ? `v${r.model.version}` : 'none', 'model'),
    ),
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
              { label: 'flagged', data: r.days.map((d) => d.flags), borderColor: PALETTE[3] },
              { label: 'confirmed', data: r.days.map((d) => d.confirmed), borderColor: PALETTE[4] },
              { label: 'false alarm', data: r.days.map((d) => d.false), borderColor: PALETTE[2] },
            ],
          },
          options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
        }),
      ),
      card(
        'Reasons',
        chart('flag-reasons', {
          type: 'bar',
          data: {
            labels: r.reasons.map((x) => x.reason),
            datasets: [{ label: 'flags', data: r.reasons.map((x) => x.flags), backgroundColor: PALETTE[3] }],
          },
          options: { indexAxis: 'y', plugins: { legend: { display: false } } },
        }),
      ),
    ),
    card(
      'Flags',
      h(
        'p',
        { class: 'muted' },
        'Mark each flag confirmed or a false alarm: the next aisle train anomaly --from the store leaves confirmed sessions out of what it learns as normal and keeps false alarms in.',
      ),
      r.flags.length
        ? table(
            ['time', 'session', 'score', 'reasons', 'model', 'label', ''],
            r.flags.map((f) => [
              fmt.time(f.ts),
              h('code', {}, f.session_id.slice(0, 18)),
              fmt.num(f.score),
              f.reasons.map((x) => h('span', { class: 'tag' }, x)),
              f.model_version,
              h('span', { 'data-flag-label': f.event_id }, f.label ?? '–'),
              h(
                'span',
                {},
                labelButton(f.event_id, 'confirmed', 'Confirm'),
                ' ',
                labelButton(f.event_id, 'false', 'False alarm'),
                f.label ? [' ', labelButton(f.event_id, null, 'Clear')] : null,
              ),
            ]),
            [2],
            { 'data-table': 'flags' },
          )
        : h('p', { class: 'muted' }, 'No session was flagged in this period.'),
    ),
  );
};
