/**
 * @module test/bench/value-retail — each customer's orders and spend over the next 90 days, from a
 * real purchase history: the UCI Online Retail year, BG/NBD + Gamma-Gamma fitted on the histories up
 * to a cut-off (`aisle train churn --events …` carries the same model) and judged on what each
 * customer then ordered and spent, against the last period again and each customer's own average
 * rate, on two hold-out periods (summer; autumn into the Christmas peak). The fit has no randomness:
 * the spread is over customers, a paired bootstrap (200 resamples, seeded), and the model passes
 * where it is closer than the best simple forecast in at least 95 % of them. The demo shop's
 * simulated season (30 days after its cut-off) stands beside it as the synthetic case.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toInterchangeCsv } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import { demoHistory } from '../../examples/storefront/history';
import { readInteractions } from '../../training/src/data/interchange';
import { fitCustomerValue, forecasts, spearman } from '../../training/src/pipelines/customer-value';
import { onlineRetailEvents, onlineRetailMissing } from './datasets';
import { type Row, report, spread } from './report';

const RESAMPLES = 200;
const NAMES = { model: 'BG/NBD + Gamma-Gamma', last_period: 'the last period again', average_rate: 'own average rate' };

export async function benchValueRetail() {
  const settings: { log: string; asOf: string; days: number; events: () => ReturnType<typeof readInteractions> }[] = [];
  const absent = onlineRetailMissing();
  if (absent) console.warn(`\ncustomer value on Online Retail: skipped, ${absent}`);
  else {
    const retail = onlineRetailEvents();
    settings.push(
      { log: 'Online Retail', asOf: '2011-06-01', days: 90, events: () => retail },
      { log: 'Online Retail', asOf: '2011-09-09', days: 90, events: () => retail },
    );
  }
  // The demo's season, through the interchange file as `npm start` trains on it; one fixed season
  // (`npm start`'s moves with the calendar), so that runs compare.
  const file = join(mkdtempSync(join(tmpdir(), 'aisle-value-')), 'demo.csv');
  writeFileSync(file, toInterchangeCsv(demoHistory({ shoppers: 600, end: Date.UTC(2026, 10, 1) })));
  settings.push({ log: 'demo shop (simulated)', asOf: '2026-10-01', days: 30, events: () => readInteractions(file) });

  const rows: Row[] = [];
  const results: Record<string, unknown>[] = [];
  for (const s of settings) {
    const events = s.events();
    const asOf = Date.parse(s.asOf);
    const started = performance.now();
    const { model } = fitCustomerValue(events, asOf, s.days);
    const seconds = (performance.now() - started) / 1000;
    const f = forecasts(events, asOf, s.days, model);
    const named = { model: f.model, ...f.baselines };
    const n = f.users.length;
    const rnd = random(42);
    const samples: Record<string, { mae: number[]; rho: number[] }> = Object.fromEntries(
      Object.keys(named).map((k) => [k, { mae: [], rho: [] }]),
    );
    let closer = 0;
    let ranksBetter = 0;
    for (let b = 0; b < RESAMPLES; b++) {
      const pick = Array.from({ length: n }, () => Math.floor(rnd() * n));
      const actual = pick.map((i) => f.actual[i].spend);
      const of: Record<string, { mae: number; rho: number }> = {};
      for (const [k, predicted] of Object.entries(named)) {
        const p = pick.map((i) => predicted[i].spend);
        of[k] = { mae: p.reduce((sum, x, j) => sum + Math.abs(x - actual[j]), 0) / n, rho: spearman(p, actual) };
        samples[k].mae.push(of[k].mae);
        samples[k].rho.push(of[k].rho);
      }
      const others = Object.keys(named).filter((k) => k !== 'model');
      if (others.every((k) => of.model.mae < of[k].mae)) closer++;
      if (others.every((k) => of.model.rho > of[k].rho)) ranksBetter++;
    }
    const label = `${s.log}, ${s.days} days after ${s.asOf} (${n} customers)`;
    const pm = (xs: number[], digits: number) => {
      const { mean, sd } = spread(xs);
      return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
    };
    for (const [k, name] of Object.entries(NAMES)) {
      rows.push({
        metric: `${label}: ${name}, spend error per customer (${pm(samples[k].mae, 2)}); rank correlation ${pm(samples[k].rho, 3)}`,
        value: spread(samples[k].mae).mean,
        unit: '',
        ...(k === 'model'
          ? {
              reference: `closer than both in ${((closer / RESAMPLES) * 100).toFixed(0)} % of resamples, ranks better in ${((ranksBetter / RESAMPLES) * 100).toFixed(0)} %`,
              pass: closer / RESAMPLES >= 0.95,
            }
          : {}),
      });
    }
    const total = (xs: { orders: number; spend: number }[], key: 'orders' | 'spend') =>
      xs.reduce((a, x) => a + x[key], 0);
    rows.push({
      metric: `${label}: forecast total spend, over what they spent (orders: ${total(f.model, 'orders').toFixed(0)} forecast, ${total(f.actual, 'orders')} placed)`,
      value: total(f.model, 'spend') / total(f.actual, 'spend'),
      unit: '×',
    });
    results.push({
      log: s.log,
      as_of: s.asOf,
      days: s.days,
      customers: n,
      fit_seconds: seconds,
      model: { bg_nbd: model.bg_nbd, gamma_gamma: model.gamma_gamma, metrics: model.metrics },
      closer_share: closer / RESAMPLES,
      ranks_better_share: ranksBetter / RESAMPLES,
      spend_mae: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, spread(v.mae)])),
      spend_spearman: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, spread(v.rho)])),
    });
  }
  report(
    'value-retail',
    `Customer value: each customer's spend over the days after a cut-off, forecast by BG/NBD + Gamma-Gamma (fitted on the histories before it) against the simple forecasts, judged on what they spent (paid less refunded); mean ± sd over ${RESAMPLES} paired bootstrap resamples of the customers; passes where closer than both simple forecasts in ≥ 95 % of them`,
    rows,
    { resamples: RESAMPLES, results },
  );
}
