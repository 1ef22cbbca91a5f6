/**
 * @module training/pipelines/customer-value — each customer's expected orders and spend over the
 * next days: BG/NBD (Fader, Hardie & Lee, 2005) for how many orders a customer places while still
 * active and how likely they are to be active at all, Gamma-Gamma (Fader & Hardie, 2013) for what
 * an order of theirs is worth, both fitted by maximum likelihood on the purchase histories up to a
 * cut-off, and judged against what each customer went on to order and spend after it.
 *
 * An order is a day with a purchase (a shop's export splits one checkout into lines and sometimes
 * into invoices minutes apart). What a customer sent back is part of their value: an order is worth
 * what they kept (their orders' mean less their refunded share), and what they spent in a period is
 * what they paid less what was refunded in it.
 */

import type { CustomerValueModel, ValueMetrics } from '@aisle/shared-models/models/churn';
import { type Interaction, latestTs } from '@aisle/shared-models/schema/interaction';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { DataError } from '../data/errors';
import { midranks } from '../eval/classification';
import { type Minimum, nelderMead } from '../eval/nelder-mead';

type FitReport = { converged: boolean; at_bounds: string[] };

const DAY = 86_400_000;
/** The fits' parameters live in log space within ±BOX. */
const BOX = 12;

/** A customer's purchases up to a cut-off, in the terms BG/NBD and Gamma-Gamma read. */
export interface PurchaseHistory {
  /** Orders after the first (the model's x). */
  repeats: number;
  /** Days from the first order to the last (t_x). */
  recency: number;
  /** Days from the first order to the cut-off (T). */
  age: number;
  /** What an order of theirs was worth on average, less the share they sent back (0 when they kept nothing). */
  value: number;
}

/** What each customer with an order at or before `asOf` had done by then. */
export function purchaseHistories(events: readonly Interaction[], asOf: number): Map<string, PurchaseHistory> {
  const days = new Map<string, Map<number, number>>();
  const refunded = new Map<string, number>();
  for (const e of events) {
    if (e.ts > asOf) continue;
    const amount = (e.price ?? 0) * (e.quantity ?? 1);
    if (e.type === 'purchase') {
      const own = days.get(e.user_id) ?? new Map<number, number>();
      days.set(e.user_id, own);
      const day = Math.floor(e.ts / DAY);
      // The day's first moment stands for the order: its value is every line of the day.
      own.set(day, (own.get(day) ?? 0) + amount);
    } else if (e.type === 'refund') refunded.set(e.user_id, (refunded.get(e.user_id) ?? 0) + Math.abs(amount));
  }
  const firstMoment = new Map<string, [number, number]>();
  for (const e of events) {
    if (e.ts > asOf || e.type !== 'purchase') continue;
    const m = firstMoment.get(e.user_id);
    firstMoment.set(e.user_id, m ? [Math.min(m[0], e.ts), Math.max(m[1], e.ts)] : [e.ts, e.ts]);
  }
  const out = new Map<string, PurchaseHistory>();
  for (const [user, own] of days) {
    const [first, last] = firstMoment.get(user) as [number, number];
    const bought = [...own.values()].reduce((s, v) => s + v, 0);
    const kept = bought > 0 ? Math.max(0, 1 - (refunded.get(user) ?? 0) / bought) : 0;
    out.set(user, {
      repeats: own.size - 1,
      recency: (last - first) / DAY,
      age: (asOf - first) / DAY,
      value: (bought / own.size) * kept,
    });
  }
  return out;
}

/** What each customer actually ordered (days with a purchase) and spent (paid less refunded) in `(from, to]`. */
export function realised(events: readonly Interaction[], from: number, to: number) {
  const orders = new Map<string, Set<number>>();
  const spend = new Map<string, number>();
  for (const e of events) {
    if (e.ts <= from || e.ts > to) continue;
    const amount = (e.price ?? 0) * (e.quantity ?? 1);
    if (e.type === 'purchase') {
      const own = orders.get(e.user_id) ?? new Set<number>();
      orders.set(e.user_id, own);
      own.add(Math.floor(e.ts / DAY));
      spend.set(e.user_id, (spend.get(e.user_id) ?? 0) + amount);
    } else if (e.type === 'refund') spend.set(e.user_id, (spend.get(e.user_id) ?? 0) - Math.abs(amount));
  }
  return {
    orders: (user: string) => orders.get(user)?.size ?? 0,
    spend: (user: string) => spend.get(user) ?? 0,
  };
}

type BgNbd = CustomerValueModel['bg_nbd'];
type GammaGamma = NonNullable<CustomerValueModel['gamma_gamma']>;

const logAddExp = (p: number, q: number) => {
  const m = Math.max(p, q);
  return m === Number.NEGATIVE_INFINITY ? m : m + Math.log(Math.exp(p - m) + Math.exp(q - m));
};

/** BG/NBD's log-likelihood of one history (Fader, Hardie & Lee 2005, eq. 6). */
function bgNbdLogLikelihood({ r, alpha, a, b }: BgNbd, h: PurchaseHistory): number {
  const x = h.repeats;
  const shared =
    gammaln(r + x) -
    gammaln(r) +
    r * Math.log(alpha) +
    gammaln(a + b) +
    gammaln(b + x) -
    gammaln(b) -
    gammaln(a + b + x);
  const stillActive = -(r + x) * Math.log(alpha + h.age);
  const leftAfterLast =
    x > 0 ? Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + h.recency) : Number.NEGATIVE_INFINITY;
  return shared + logAddExp(stillActive, leftAfterLast);
}

/** Maximum-likelihood BG/NBD parameters (days as the unit of time). */
export function fitBgNbd(histories: readonly PurchaseHistory[]): BgNbd & { log_likelihood: number; fit: FitReport } {
  // Without a second order anywhere there is no rhythm to learn: every forecast would be the box's edge.
  if (!histories.some((h) => h.repeats > 0))
    throw new DataError('no customer ordered twice before the cut-off: no rhythm of orders to learn a forecast from');
  // Customers with the same history count once, weighted: a year of one-order customers repeats a lot.
  const groups = new Map<string, { h: PurchaseHistory; n: number }>();
  for (const h of histories) {
    const key = `${h.repeats}|${h.recency.toFixed(3)}|${h.age.toFixed(3)}`;
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { h, n: 1 });
  }
  const unique = [...groups.values()];
  const meanAge = histories.reduce((s, h) => s + h.age, 0) / histories.length;
  const params = (x: readonly number[]) => ({
    r: Math.exp(x[0]),
    alpha: Math.exp(x[1]),
    a: Math.exp(x[2]),
    b: Math.exp(x[3]),
  });
  const negative = (x: readonly number[]) => {
    // A shop whose customers hardly ever lapse drives a → 0 and b → ∞ (the NBD limit): kept in a box
    // (e^±12) where the likelihood is flat anyway, so the simplex does not wander off.
    if (x.some((v) => Math.abs(v) > BOX)) return Number.NaN;
    const p = params(x);
    let sum = 0;
    for (const { h, n } of unique) sum += n * bgNbdLogLikelihood(p, h);
    return -sum;
  };
  // From a = ½, b = 2 (a shop where a third of customers leave after an order), away from a = 1.
  const best = restarted(negative, [0, Math.log(Math.max(1, meanAge)), Math.log(0.5), Math.log(2)]);
  return { ...params(best.x), log_likelihood: -best.value, fit: fitReport(best, ['r', 'alpha', 'a', 'b']) };
}

/** The simplex again from where it stopped, until it stops improving: it can stall on a ridge of these likelihoods. */
function restarted(f: (x: readonly number[]) => number, start: number[]) {
  let best = nelderMead(f, start);
  for (let i = 0; i < 3; i++) {
    const again = nelderMead(f, best.x);
    if (again.value >= best.value - 1e-6) break;
    best = again;
  }
  return best;
}

/** Whether the fit settled, and which parameters it left at the edge of their box (where the likelihood ran flat). */
const fitReport = (m: Minimum, names: readonly string[]) => ({
  converged: m.converged,
  at_bounds: names.filter((_, i) => Math.abs(m.x[i]) > BOX - 0.5),
});

/** Gamma-Gamma's log-likelihood of a customer's mean order value over `n` orders (Fader & Hardie 2013). */
function gammaGammaLogLikelihood({ p, q, v }: GammaGamma, n: number, mean: number): number {
  return (
    gammaln(p * n + q) -
    gammaln(p * n) -
    gammaln(q) +
    q * Math.log(v) +
    (p * n - 1) * Math.log(mean) +
    p * n * Math.log(n) -
    (p * n + q) * Math.log(n * mean + v)
  );
}

/** Maximum-likelihood Gamma-Gamma parameters over customers who kept something; undefined with fewer than ten. */
export function fitGammaGamma(
  histories: readonly PurchaseHistory[],
): (GammaGamma & { log_likelihood: number; fit: FitReport }) | undefined {
  const paying = histories.filter((h) => h.value > 0);
  if (paying.length < 10) return undefined;
  const meanValue = paying.reduce((s, h) => s + h.value, 0) / paying.length;
  // q > 1 keeps the population's mean order value finite.
  const params = (x: readonly number[]) => ({ p: Math.exp(x[0]), q: 1 + Math.exp(x[1]), v: Math.exp(x[2]) });
  const negative = (x: readonly number[]) => {
    if (x.some((v) => Math.abs(v) > BOX)) return Number.NaN;
    const g = params(x);
    let sum = 0;
    for (const h of paying) sum += gammaGammaLogLikelihood(g, h.repeats + 1, h.value);
    return -sum;
  };
  const best = restarted(negative, [0, 0, Math.log(meanValue)]);
  return { ...params(best.x), log_likelihood: -best.value, fit: fitReport(best, ['p', 'q', 'v']) };
}

/** The chance the customer is still active at the cut-off. */
export function probabilityAlive({ r, alpha, a, b }: BgNbd, h: PurchaseHistory): number {
  if (h.repeats === 0) return 1;
  const x = h.repeats;
  return 1 / (1 + Math.exp(Math.log(a / (b + x - 1)) + (r + x) * Math.log((alpha + h.age) / (alpha + h.recency))));
}

/** How close to 1 `a` may come: the closed form is 0/0 there, and is read just beside it. */
const NEAR_ONE = 1e-4;

/**
 * Expected orders in the `days` after the cut-off (FHL 2005, eq. 10). The hypergeometric term is
 * taken in Euler's form — (1−z)^(a−1)·₂F₁(a+b−1−r, a−1; a+b+x−1; z) — whose series stays small for a
 * customer of hundreds of orders, where the textbook form multiplies a vanishing power by an
 * overflowing series; where Euler's overflows instead (a shop whose dropout is the same for
 * everyone: a and b in the thousands) the textbook form is finite, and past both the limit of
 * that case, a fixed chance p = a/(a+b) of leaving after each order: (1/p)(1 − ((α+T)/(α+T+pt))^(r+x)).
 */
export function expectedOrders(model: BgNbd, h: PurchaseHistory, days: number): number {
  const { r, alpha, b } = model;
  const a = Math.abs(model.a - 1) < NEAR_ONE ? 1 + (model.a < 1 ? -NEAR_ONE : NEAR_ONE) : model.a;
  const x = h.repeats;
  const z = days / (alpha + h.age + days);
  const lead = (a + b + x - 1) / (a - 1);
  let whileActive = lead * (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z));
  if (!Number.isFinite(whileActive))
    whileActive = lead * (1 - (1 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z));
  if (!Number.isFinite(whileActive)) {
    const p = a / (a + b);
    whileActive = (1 - ((alpha + h.age) / (alpha + h.age + p * days)) ** (r + x)) / p;
  }
  // Rounding can leave a hair below zero; what is not a number stays one (the fit refuses such a model).
  return Math.max(0, whileActive * probabilityAlive({ ...model, a }, h));
}

/** What an order of this customer's is expected to be worth: their own mean, shrunk to the population's. */
export function expectedOrderValue(model: GammaGamma | null | undefined, h: PurchaseHistory): number {
  if (h.value <= 0) return 0;
  if (!model) return h.value;
  const n = h.repeats + 1;
  return (model.p * (model.v + n * h.value)) / (model.p * n + model.q - 1);
}

/** A customer's expected orders, spend and chance of being active, over `days` after the cut-off. */
export function customerValue(
  model: Pick<CustomerValueModel, 'bg_nbd' | 'gamma_gamma'>,
  h: PurchaseHistory,
  days: number,
) {
  const orders = expectedOrders(model.bg_nbd, h, days);
  return { orders, spend: orders * expectedOrderValue(model.gamma_gamma, h), alive: probabilityAlive(model.bg_nbd, h) };
}

/** Spearman's rank correlation (Pearson's over mid-ranks); NaN when either side is constant. */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  const rx = midranks(xs);
  const ry = midranks(ys);
  const mean = (rx.length + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) ** 2;
    syy += (ry[i] - mean) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/** How predictions of orders and spend compare with what happened. */
export function valueMetrics(
  predicted: readonly { orders: number; spend: number }[],
  actual: readonly { orders: number; spend: number }[],
): ValueMetrics {
  const n = predicted.length;
  const mae = (k: 'orders' | 'spend') => predicted.reduce((s, p, i) => s + Math.abs(p[k] - actual[i][k]), 0) / n;
  const total = (rows: readonly { orders: number; spend: number }[], k: 'orders' | 'spend') =>
    rows.reduce((s, p) => s + p[k], 0);
  return {
    customers: n,
    orders_mae: mae('orders'),
    spend_mae: mae('spend'),
    orders_spearman: spearman(
      predicted.map((p) => p.orders),
      actual.map((a) => a.orders),
    ),
    spend_spearman: spearman(
      predicted.map((p) => p.spend),
      actual.map((a) => a.spend),
    ),
    predicted_orders: total(predicted, 'orders'),
    actual_orders: total(actual, 'orders'),
    predicted_spend: total(predicted, 'spend'),
    actual_spend: total(actual, 'spend'),
  };
}

/** The simple forecasts a merchant would make by hand, on the same customers. */
export const VALUE_BASELINES = {
  /** The last `days` again: as many orders and as much spend as in the same span before the cut-off. */
  last_period: (events: readonly Interaction[], asOf: number, days: number) => {
    const before = realised(events, asOf - days * DAY, asOf);
    return (user: string) => ({ orders: before.orders(user), spend: Math.max(0, before.spend(user)) });
  },
  /** The customer's own average rate since their first order, at their own order value. */
  average_rate:
    (_events: readonly Interaction[], _asOf: number, days: number) => (_user: string, h: PurchaseHistory) => {
      const orders = ((h.repeats + 1) / Math.max(h.age, days)) * days;
      return { orders, spend: orders * h.value };
    },
};

type Forecast = { orders: number; spend: number };

/**
 * Each customer's forecast by the model and by the simple forecasts, and what they then did, over
 * the `days` after `asOf` (the customers: an order at or before it).
 */
export function forecasts(
  events: readonly Interaction[],
  asOf: number,
  days: number,
  model: Pick<CustomerValueModel, 'bg_nbd' | 'gamma_gamma'>,
) {
  const histories = purchaseHistories(events, asOf);
  const users = [...histories.keys()];
  const after = realised(events, asOf, asOf + days * DAY);
  return {
    users,
    actual: users.map((u): Forecast => ({ orders: after.orders(u), spend: after.spend(u) })),
    model: users.map((u): Forecast => customerValue(model, histories.get(u) as PurchaseHistory, days)),
    baselines: Object.fromEntries(
      Object.entries(VALUE_BASELINES).map(([name, make]) => {
        const predict = make(events, asOf, days);
        return [name, users.map((u) => predict(u, histories.get(u) as PurchaseHistory))];
      }),
    ) as Record<keyof typeof VALUE_BASELINES, Forecast[]>,
  };
}

/**
 * Fits BG/NBD and Gamma-Gamma on the histories up to `asOf`; when the events reach `days` past it,
 * also judges them (and the baselines) against what each customer ordered and spent in those days.
 */
export function fitCustomerValue(
  events: readonly Interaction[],
  asOf: number,
  days: number,
): { model: CustomerValueModel; baselines?: Record<keyof typeof VALUE_BASELINES, ValueMetrics> } {
  const histories = purchaseHistories(events, asOf);
  if (!histories.size) throw new DataError('no customer has a purchase before the cut-off: no value model');
  const all = [...histories.values()];
  const { log_likelihood: _bl, fit: bgFit, ...bg_nbd } = fitBgNbd(all);
  const fittedGamma = fitGammaGamma(all);
  const gamma_gamma = fittedGamma ? { p: fittedGamma.p, q: fittedGamma.q, v: fittedGamma.v } : null;
  const model: CustomerValueModel = {
    kind: 'bg-nbd+gamma-gamma',
    as_of: new Date(asOf).toISOString(),
    horizon_days: days,
    customers: histories.size,
    bg_nbd,
    gamma_gamma,
    fit: {
      converged: bgFit.converged && (fittedGamma?.fit.converged ?? true),
      at_bounds: [...bgFit.at_bounds, ...(fittedGamma?.fit.at_bounds ?? [])],
    },
  };
  // A model that cannot forecast one of the very customers it was fitted on is no model.
  const unusable = all.find((h) => !Number.isFinite(customerValue(model, h, days).spend));
  if (unusable)
    throw new DataError(
      `the value model fitted (r ${bg_nbd.r.toPrecision(3)}, α ${bg_nbd.alpha.toPrecision(3)}, a ${bg_nbd.a.toPrecision(3)}, b ${bg_nbd.b.toPrecision(3)}) gives no forecast for a customer of ${unusable.repeats + 1} orders`,
    );
  if (latestTs(events) < asOf + days * DAY) return { model };
  const f = forecasts(events, asOf, days, model);
  model.metrics = valueMetrics(f.model, f.actual);
  const baselines = Object.fromEntries(
    Object.entries(f.baselines).map(([name, predicted]) => [name, valueMetrics(predicted, f.actual)]),
  ) as Record<keyof typeof VALUE_BASELINES, ValueMetrics>;
  return { model, baselines };
}
