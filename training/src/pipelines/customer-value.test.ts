import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { describe, expect, it } from 'vitest';
import { nelderMead } from '../eval/nelder-mead';
import {
  customerValue,
  expectedOrders,
  fitBgNbd,
  fitCustomerValue,
  fitGammaGamma,
  type PurchaseHistory,
  probabilityAlive,
  purchaseHistories,
  realised,
  spearman,
} from './customer-value';

const DAY = 86_400_000;

/** Marsaglia–Tsang, with the boost for shapes under one. */
function gamma(rnd: () => number, shape: number, rate: number): number {
  if (shape < 1) return gamma(rnd, shape + 1, rate) * rnd() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller for a standard normal.
      x = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      v = 1 + c * x;
    } while (v <= 0);
    v = v ** 3;
    const u = rnd();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

/**
 * Customers who buy and lapse as BG/NBD says (rate λ ~ Gamma(r, α), after each order gone for good
 * with p ~ Beta(a, b) after each repeat order), each order worth Gamma(p, ν) with ν ~ Gamma(q, v): a shop's log, first
 * orders spread over `spread` days before the cut-off and the days after it too.
 */
function simulatedShop(seed: number, customers: number, spread: number, after: number, sameDropout?: number) {
  const truth = { r: 0.6, alpha: 25, a: 0.8, b: 2.5, p: 3, q: 4, v: 90 };
  const rnd = random(seed);
  const asOf = Date.UTC(2026, 0, 1);
  const events: Interaction[] = [];
  for (let c = 0; c < customers; c++) {
    const lambda = gamma(rnd, truth.r, truth.alpha);
    const x1 = gamma(rnd, truth.a, 1);
    const pDrop = sameDropout ?? x1 / (x1 + gamma(rnd, truth.b, 1));
    const nu = gamma(rnd, truth.q, truth.v);
    const order = (ts: number) =>
      events.push({
        user_id: `c${c}`,
        item_id: 'i',
        type: 'purchase',
        ts,
        price: gamma(rnd, truth.p, nu),
        quantity: 1,
      });
    let t = asOf - rnd() * spread * DAY;
    order(t);
    // Gone for good, if at all, right after a repeat order.
    for (;;) {
      t += (-Math.log(1 - rnd()) / lambda) * DAY;
      if (t > asOf + after * DAY) break;
      order(t);
      if (rnd() < pDrop) break;
    }
  }
  // The log runs to the end of the period after the cut-off (someone browses on its last day).
  events.push({ user_id: 'browser', item_id: 'i', type: 'view_item', ts: asOf + after * DAY });
  return { truth, asOf, events };
}

describe('customer value (BG/NBD + Gamma-Gamma)', () => {
  it('finds the minimum of a curved valley', () => {
    const rosenbrock = ([x, y]: readonly number[]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
    const m = nelderMead(rosenbrock, [-1.2, 1], { tolerance: 1e-14 });
    expect(m.converged).toBe(true);
    expect(m.x[0]).toBeCloseTo(1, 3);
    expect(m.x[1]).toBeCloseTo(1, 3);
  });

  it('matches the published example, and stays finite for a customer of hundreds of orders', () => {
    // Fader, Hardie & Lee (2005), CDNOW in weeks: x = 2, t_x = 30.43, T = 38.86, the next 39 weeks.
    const cdnow = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const h: PurchaseHistory = { repeats: 2, recency: 30.43, age: 38.86, value: 0 };
    expect(expectedOrders(cdnow, h, 39)).toBeCloseTo(1.226, 3);
    // The textbook form with the hypergeometric series as printed gives the same where it stays finite.
    const { r, alpha, a, b } = cdnow;
    for (const [x, tx, T] of [
      [0, 0, 20],
      [5, 30, 40],
      [12, 60, 70],
    ]) {
      const z = 39 / (alpha + T + 39);
      const textbook =
        (((a + b + x - 1) / (a - 1)) *
          (1 - ((alpha + T) / (alpha + T + 39)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))) /
        (1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0));
      expect(expectedOrders(cdnow, { repeats: x, recency: tx, age: T, value: 0 }, 39)).toBeCloseTo(textbook, 8);
    }
    const busy = expectedOrders(cdnow, { repeats: 800, recency: 364, age: 365, value: 0 }, 90);
    expect(busy).toBeGreaterThan(100);
    expect(Number.isFinite(busy)).toBe(true);
    // Gone quiet for most of a year after a busy spell: hardly alive, hardly expected back.
    const gone = { repeats: 40, recency: 60, age: 365, value: 0 };
    expect(probabilityAlive(cdnow, gone)).toBeLessThan(1e-6);
    expect(expectedOrders(cdnow, gone, 90)).toBeLessThan(1e-4);
  });

  it('recovers the parameters of a shop that behaves as the model says, and forecasts its next months', () => {
    const { truth, asOf, events } = simulatedShop(7, 5000, 365, 90);
    const histories = [...purchaseHistories(events, asOf).values()];
    const bg = fitBgNbd(histories);
    expect(bg.r / truth.r).toBeGreaterThan(0.8);
    expect(bg.r / truth.r).toBeLessThan(1.25);
    expect(bg.alpha / truth.alpha).toBeGreaterThan(0.75);
    expect(bg.alpha / truth.alpha).toBeLessThan(1.33);
    // The chance of lapsing after an order, a / (a + b), is what the data pins down best.
    expect(bg.a / (bg.a + bg.b)).toBeCloseTo(truth.a / (truth.a + truth.b), 1);
    const gg = fitGammaGamma(histories);
    expect(gg).toBeDefined();
    // The shop's mean order value, p·v / (q − 1).
    const mean = (g: { p: number; q: number; v: number }) => (g.p * g.v) / (g.q - 1);
    expect(mean(gg as { p: number; q: number; v: number }) / mean(truth)).toBeGreaterThan(0.9);
    expect(mean(gg as { p: number; q: number; v: number }) / mean(truth)).toBeLessThan(1.1);

    const { model, baselines } = fitCustomerValue(events, asOf, 90);
    const m = model.metrics;
    expect(m).toBeDefined();
    if (!m || !baselines) return;
    // The shop's next 90 days in all, within a tenth; per customer closer than the simple forecasts.
    expect(m.predicted_orders / m.actual_orders).toBeGreaterThan(0.9);
    expect(m.predicted_orders / m.actual_orders).toBeLessThan(1.1);
    expect(m.spend_mae).toBeLessThan(Math.min(baselines.last_period.spend_mae, baselines.average_rate.spend_mae));
    expect(m.orders_spearman).toBeGreaterThan(baselines.last_period.orders_spearman);
  });

  it('counts an order per day, nets what came back, and is not judged on a period the log does not reach', () => {
    const at = Date.UTC(2026, 5, 1, 10);
    const line = (type: string, hours: number, price: number, quantity = 1): Interaction => ({
      user_id: 'u',
      item_id: 'i',
      type,
      ts: at + hours * 3_600_000,
      price,
      quantity,
    });
    const events = [
      line('purchase', 0, 10, 2), // two lines of one checkout, minutes apart: one order of 30
      line('purchase', 0.1, 10),
      line('purchase', 24 * 10, 50), // ten days later, an order of 50
      line('refund', 24 * 11, 40), // 40 of the 80 sent back
      line('view_item', 24 * 12, 0),
      line('purchase', 24 * 40, 70), // after the cut-off
      line('refund', 24 * 41, -20, 1), // an export's negative line counts as what came back
    ];
    const asOf = at + 20 * DAY;
    const h = purchaseHistories(events, asOf).get('u');
    expect(h).toMatchObject({ repeats: 1, value: 20 });
    expect(h?.recency).toBeCloseTo(10, 5);
    expect(h?.age).toBeCloseTo(20, 5);
    const later = realised(events, asOf, asOf + 30 * DAY);
    expect(later.orders('u')).toBe(1);
    expect(later.spend('u')).toBe(50);
    expect(later.orders('nobody')).toBe(0);
    const unjudged = fitCustomerValue(events, asOf, 90);
    expect(unjudged.model.metrics).toBeUndefined();
    expect(unjudged.baselines).toBeUndefined();
    // A customer who kept nothing is worth nothing per order, however often they come.
    const model = { bg_nbd: { r: 0.6, alpha: 25, a: 0.8, b: 2.5 }, gamma_gamma: { p: 3, q: 4, v: 90 } };
    const v = customerValue(model, { repeats: 3, recency: 10, age: 20, value: 0 }, 90);
    expect(v.spend).toBe(0);
    expect(v.orders).toBeGreaterThan(0);
  });

  it('ranks with ties shared', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([0, 0, 0, 1], [0, 0, 1, 1])).toBeCloseTo(0.5773502691896258, 12);
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).toBe(true);
  });

  it('forecasts where the closed form breaks down: a near one, everyone leaving alike, first orders at the cut-off', () => {
    const h: PurchaseHistory = { repeats: 3, recency: 50, age: 80, value: 10 };
    // a = 1 is 0/0 in the closed form: read beside it, continuous from both sides.
    const near = (a: number) => expectedOrders({ r: 0.6, alpha: 25, a, b: 2.5 }, h, 90);
    for (const a of [1, 1 + 1e-12, 1 - 1e-9]) {
      expect(near(a)).toBeGreaterThan(0);
      expect(Math.abs(near(a) / near(1.01) - 1)).toBeLessThan(0.02);
      expect(Math.abs(near(a) / near(0.99) - 1)).toBeLessThan(0.02);
    }
    // Everyone with the same 10 % chance of leaving after an order: a and b run to thousands, and
    // the forecast still comes out (not zero), close to what the shop then did.
    const { asOf, events } = simulatedShop(3, 6000, 365, 90, 0.1);
    const { model } = fitCustomerValue(events, asOf, 90);
    expect(model.bg_nbd.a / (model.bg_nbd.a + model.bg_nbd.b)).toBeCloseTo(0.1, 1);
    const m = model.metrics;
    expect(m?.predicted_orders).toBeGreaterThan(0.85 * (m?.actual_orders ?? 0));
    expect(m?.predicted_orders).toBeLessThan(1.15 * (m?.actual_orders ?? 0));
    expect(m?.orders_spearman).toBeGreaterThan(0.3);
    for (const a of [1e3, 1e4, 1e5])
      expect(expectedOrders({ r: 0.6, alpha: 25, a, b: 9 * a }, { ...h, repeats: 40 }, 90)).toBeGreaterThan(0);
    // A customer whose first order is at the cut-off (T = 0) is forecast like anyone new.
    expect(expectedOrders(model.bg_nbd, { repeats: 0, recency: 0, age: 0, value: 10 }, 90)).toBeGreaterThan(0);
    // A shop where nobody ordered twice has no rhythm to learn: refused, not a model of zeros.
    const once = events.filter((e, i, all) => all.findIndex((o) => o.user_id === e.user_id) === i);
    expect(() => fitCustomerValue(once, asOf + 200 * DAY, 30)).toThrow(/no customer ordered twice/);
    expect(model.fit?.converged).toBe(true);
  });
});
