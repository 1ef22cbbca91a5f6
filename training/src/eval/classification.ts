/** @module training/eval/classification — how well probabilities separate two classes, and how a threshold does. */

export interface ClassificationMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  /** Average precision: the area under the precision-recall curve, step-wise. */
  prAuc: number;
  /** Share of positives among the 10 % scored highest, over their share among all rows. */
  liftAt10: number;
  threshold: number;
  positives: number;
  rows: number;
}

/** Midranks (1-based, ties sharing their mean rank) of `values`. */
export function midranks(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** ROC-AUC by ranks (Mann–Whitney U), ties counted half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const ranks = midranks(Array.from(scores));
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < ranks.length; i++)
    if (labels[i]) {
      rankSum += ranks[i];
      positives++;
    }
  const negatives = ranks.length - positives;
  if (!positives || !negatives) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Two rankings of the same rows compared by ROC-AUC: the difference `a − b`, and its standard error
 * as DeLong, DeLong and Clarke-Pearson (1988) give it for rankings of the same rows (their
 * structural components, from midranks as Sun and Xu (2014) compute them), which is smaller than
 * either AUC's own error where the two rankings agree on most rows. NaN with one class only.
 */
export function pairedRocAuc(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  labels: ArrayLike<number>,
): { difference: number; standardError: number } {
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] ? positives : negatives).push(i);
  const m = positives.length;
  const n = negatives.length;
  if (!m || !n) return { difference: Number.NaN, standardError: Number.NaN };
  // Per score: each positive's share of negatives ranked below it (V10), each negative's share of positives above it (V01).
  const components = (scores: ArrayLike<number>) => {
    const all = midranks(Array.from({ length: m + n }, (_, k) => scores[k < m ? positives[k] : negatives[k - m]]));
    const pos = midranks(positives.map((i) => scores[i]));
    const neg = midranks(negatives.map((i) => scores[i]));
    const v10 = positives.map((_, k) => (all[k] - pos[k]) / n);
    const v01 = negatives.map((_, k) => 1 - (all[m + k] - neg[k]) / m);
    return { auc: v10.reduce((s, v) => s + v, 0) / m, v10, v01 };
  };
  const x = components(a);
  const y = components(b);
  // The variance of the per-row difference of the components, over positives and over negatives.
  const spread = (p: number[], q: number[]) => {
    const d = p.map((v, k) => v - q[k]);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    return d.length > 1 ? d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1) : 0;
  };
  return {
    difference: x.auc - y.auc,
    standardError: Math.sqrt(spread(x.v10, y.v10) / m + spread(x.v01, y.v01) / n),
  };
}

/** Average precision over the ranking by descending score. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const positives = order.reduce((n, i) => n + (labels[i] ? 1 : 0), 0);
  if (!positives) return Number.NaN;
  let hits = 0;
  let sum = 0;
  order.forEach((i, k) => {
    if (labels[i]) {
      hits++;
      sum += hits / (k + 1);
    }
  });
  return sum / positives;
}

/**
 * Share of positives among the `top` share of rows scored highest, over the share among all rows;
 * rows tied at the cut share it (each counts for the part of the group that fits). NaN with no positives.
 */
export function liftAt(scores: ArrayLike<number>, labels: ArrayLike<number>, top: number): number {
  const n = scores.length;
  let all = 0;
  for (let i = 0; i < n; i++) all += labels[i] ? 1 : 0;
  if (!n || !all) return Number.NaN;
  const k = Math.max(1, Math.round(n * top));
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const cut = sorted[k - 1];
  let above = 0;
  let aboveHits = 0;
  let tied = 0;
  let tiedHits = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i] > cut) {
      above++;
      aboveHits += labels[i] ? 1 : 0;
    } else if (scores[i] === cut) {
      tied++;
      tiedHits += labels[i] ? 1 : 0;
    }
  }
  const hits = aboveHits + (tiedHits * (k - above)) / tied;
  return hits / k / (all / n);
}

export function classify(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): ClassificationMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const predicted = probabilities[i] >= threshold;
    if (predicted && labels[i]) tp++;
    else if (predicted) fp++;
    else if (labels[i]) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    accuracy: (tp + tn) / (probabilities.length || 1),
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    rocAuc: rocAuc(probabilities, labels),
    prAuc: averagePrecision(probabilities, labels),
    liftAt10: liftAt(probabilities, labels, 0.1),
    threshold,
    positives: tp + fn,
    rows: probabilities.length,
  };
}

/** The threshold among the given probabilities with the best F1. */
export function bestF1Threshold(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const candidates = [...new Set(Array.from(probabilities))].sort((a, b) => a - b);
  let best = { threshold: 0.5, f1: -1 };
  // At most 200 candidates: quantiles of the scores are as good as every distinct one.
  const step = Math.max(1, Math.floor(candidates.length / 200));
  for (let i = 0; i < candidates.length; i += step) {
    const { f1 } = classify(probabilities, labels, candidates[i]);
    if (f1 > best.f1) best = { threshold: candidates[i], f1 };
  }
  return best.threshold;
}

/** Platt scaling: a and b minimising log loss of sigmoid(a * logit + b), by Newton's method. */
export function fitPlatt(logits: ArrayLike<number>, labels: ArrayLike<number>): { a: number; b: number } {
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 50; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < logits.length; i++) {
      const z = logits[i];
      const p = 1 / (1 + Math.exp(-(a * z + b)));
      const d = p - labels[i];
      const w = p * (1 - p);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}
