/**
 * @module shared-models/models/health — whether a trained model is worth acting on, told plainly:
 * its held-out quality beside the simple baseline it must beat, and a verdict with the reason.
 * One rule per model, read from the metrics its manifest already carries, so the CLI, the edge's
 * API and the dashboard say the same thing of the same model (old manifests included):
 *
 * - churn: held-out ROC-AUC above 0.55 (at or below that it ranks customers no better than chance);
 * - recommender: held-out NDCG@10 above the popularity baseline's on the same split;
 * - anomaly: held-out ROC-AUC on injected attacks above the no-model baseline's (each session's
 *   most extreme standardised feature) on the same sessions;
 * - profile: a silhouette above 0.1 (below it the segments barely separate; there is no label to
 *   hold out).
 */

export type Verdict = 'ok' | 'weak' | 'unknown';

export interface ModelHealth {
  verdict: Verdict;
  /** What the quality is measured as, in words, e.g. "held-out ROC-AUC". */
  measure: string;
  value: number | null;
  /** The simple baseline the verdict compares with (or the bar it must clear). */
  baseline: { name: string; value: number } | null;
  /** One sentence a merchant reads: why the verdict is what it is. */
  reason: string;
}

/** How a verdict opens a line of the CLI's output. */
export const VERDICT_WORDS: Record<Verdict, string> = {
  ok: 'verdict: worth acting on',
  weak: 'WARNING: no better than a simple baseline',
  unknown: 'verdict: not judged',
};

/** At or below this held-out ROC-AUC a churn model is no better than chance. */
export const CHURN_MIN_ROC_AUC = 0.55;
/** At or below this silhouette the segments barely separate. */
export const PROFILE_MIN_SILHOUETTE = 0.1;

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const at = (x: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), x);
const f = (x: number) => x.toFixed(3);
/** Two measures with as many decimals (3 to 6) as it takes to tell them apart: 0.99996 against 0.99991 reads "1.0000, above 0.9999", not "1.000, above 1.000" (under a millionth apart, they still read alike). */
function apart(a: number, b: number): [string, string] {
  let digits = 3;
  while (digits < 6 && a !== b && a.toFixed(digits) === b.toFixed(digits)) digits++;
  return [a.toFixed(digits), b.toFixed(digits)];
}

function unknown(measure: string, why: string): ModelHealth {
  return { verdict: 'unknown', measure, value: null, baseline: null, reason: why };
}

/** Held-out quality above the baseline's (strictly) is ok; at or below it, weak. */
function judged(measure: string, value: number, baseline: { name: string; value: number }, weak: string, ok: string) {
  const good = value > baseline.value;
  return { verdict: good ? 'ok' : 'weak', measure, value, baseline, reason: good ? ok : weak } satisfies ModelHealth;
}

/** The verdict on a model from its manifest's `metrics` (a churn model's `metrics.test`, or the metrics object itself). */
export function modelHealth(name: string, metrics: unknown): ModelHealth {
  if (name === 'churn') {
    const value = num(at(metrics, 'test', 'rocAuc')) ?? num(at(metrics, 'rocAuc'));
    if (value === null) return unknown('held-out ROC-AUC', 'the model carries no held-out ROC-AUC');
    return judged(
      'held-out ROC-AUC',
      value,
      { name: 'chance (with margin)', value: CHURN_MIN_ROC_AUC },
      `held-out ROC-AUC ${f(value)}: no better than chance (≤ ${CHURN_MIN_ROC_AUC}) — its risk bands and retention actions would be guesses`,
      `held-out ROC-AUC ${f(value)}, above chance (${CHURN_MIN_ROC_AUC})`,
    );
  }
  if (name === 'recommender') {
    const value = num(at(metrics, 'compared', 'recommender', 'test')) ?? num(at(metrics, 'ndcg_at_10'));
    const popular = num(at(metrics, 'compared', 'popularity', 'test'));
    if (value === null) return unknown('held-out NDCG@10', 'the model carries no held-out NDCG@10');
    if (popular === null)
      return { ...unknown('held-out NDCG@10', 'no popularity baseline was measured beside it'), value };
    const [v, p] = apart(value, popular);
    return judged(
      'held-out NDCG@10',
      value,
      { name: 'popularity', value: popular },
      `held-out NDCG@10 ${v}, not above recommending the most popular items (${p})`,
      `held-out NDCG@10 ${v}, above the most popular items (${p})`,
    );
  }
  if (name === 'anomaly') {
    const value = num(at(metrics, 'held_out', 'roc_auc'));
    const plain = num(at(metrics, 'held_out', 'baseline_roc_auc'));
    if (value === null || plain === null)
      return unknown(
        'held-out ROC-AUC on injected attacks',
        'no attacks were injected into a held-out period for it (trained before that check, or too few held-out sessions)',
      );
    const [v, p] = apart(value, plain);
    return judged(
      'held-out ROC-AUC on injected attacks',
      value,
      { name: 'max z-score (no model)', value: plain },
      `held-out ROC-AUC ${v} on injected attacks, not above flagging each session's most unusual feature (${p})`,
      `held-out ROC-AUC ${v} on injected attacks, above flagging each session's most unusual feature (${p})`,
    );
  }
  if (name === 'profile') {
    const value = num(at(metrics, 'silhouette'));
    if (value === null) return unknown('silhouette', 'the model carries no silhouette');
    return judged(
      'silhouette',
      value,
      { name: 'segments that barely separate', value: PROFILE_MIN_SILHOUETTE },
      `silhouette ${f(value)}: the segments barely separate (≤ ${PROFILE_MIN_SILHOUETTE})`,
      `silhouette ${f(value)}: the segments separate (above ${PROFILE_MIN_SILHOUETTE})`,
    );
  }
  return unknown('quality', `no rule judges a ${name} model`);
}

/** Fewer flagged sessions than this in a period say nothing about the rate (a small shop's noise). */
export const FLAG_RATE_MIN_FLAGGED = 10;
/** A period's flagged share this many times the calibrated one, and past chance (z > 3), is out of line. */
export const FLAG_RATE_RATIO = 2;

export interface FlagRate {
  /** Sessions seen in the period, and how many of them were flagged. */
  flagged: number;
  sessions: number;
  /** flagged / sessions, or null with no sessions. */
  share: number | null;
  /** The share of normal traffic the model was calibrated to flag (1 − flag_at). */
  expected: number;
  /** 'high': far above the calibrated share; 'ok': not far above it; 'unknown': nothing to judge by. */
  verdict: 'ok' | 'high' | 'unknown';
  reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** A threshold that calibrates a share: a percentile of normal traffic above the median, below 1. */
const isFlagAt = (x: unknown): x is number => typeof x === 'number' && x > 0.5 && x < 1;

/**
 * Whether a period's flagged share is what the anomaly model was calibrated for. Its threshold
 * `flag_at` is a percentile of the calibration period's normal sessions, so about 1 − flag_at of
 * normal traffic is flagged; a share far above that means either an attack under way or traffic
 * that has moved since the model learnt it (a season, a sale, a new page) — a real year of a shop
 * flagged 12.7 % of its autumn at 0.99 (`npm run bench -- anomaly`). Judged only on enough flags,
 * and only past both a ratio and chance (a binomial z above 3). Both counts come from shoppers'
 * browsers, so forged traffic moves them too; the reason says so.
 */
export function flagRate(flagged: number, sessions: number, flagAt: number): FlagRate {
  const valid = isFlagAt(flagAt);
  const expected = valid ? 1 - flagAt : 0;
  const share = sessions > 0 ? Math.min(1, flagged / sessions) : null;
  const base = { flagged, sessions, share, expected };
  const unknown = (reason: string): FlagRate => ({ ...base, verdict: 'unknown', reason });
  if (!valid) return unknown(`the model's threshold flag_at ${flagAt} is no percentile between 0.5 and 1`);
  if (share === null) return unknown('no sessions in this period');
  if (flagged < FLAG_RATE_MIN_FLAGGED)
    return unknown(
      `${flagged} of ${sessions} sessions flagged: too few flags to judge the rate against the about ${pct(expected)} the model was calibrated to flag (it takes ${FLAG_RATE_MIN_FLAGGED})`,
    );
  const z = (flagged - sessions * expected) / Math.sqrt(sessions * expected * (1 - expected));
  if (share > FLAG_RATE_RATIO * expected && z > 3)
    return {
      ...base,
      verdict: 'high',
      reason: `${pct(share)} of this period's sessions were flagged (${flagged} of ${sessions}) where the model was calibrated to flag about ${pct(expected)} of normal traffic: an attack under way, shoppers who now behave unlike the traffic it learnt from (a season, a sale, a new page), or traffic forged to look like either (both counts come from browsers). Open the flagged sessions and label them — confirm the bots, mark ordinary shoppers as false alarms — and once they are labelled retrain with aisle train anomaly --from STORE, so that it learns today's normal without the bots`,
    };
  return {
    ...base,
    verdict: 'ok',
    reason: `${pct(share)} of this period's sessions were flagged (${flagged} of ${sessions}): no more than twice the about ${pct(expected)} of normal traffic the model was calibrated to flag, or too close to it to tell apart`,
  };
}
