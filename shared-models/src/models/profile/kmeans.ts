/**
 * @module shared-models/models/profile/kmeans — k-means with k-means++ seeding, and the silhouette
 * that chooses k. Plain arrays: a few thousand shoppers by twenty features is no work for a GPU.
 */
import { random } from '../../util/random';

export interface KMeans {
  k: number;
  /** k rows of `dim` values, row-major. */
  centroids: Float32Array;
  dim: number;
  /** Cluster of each input row. */
  assignment: Int32Array;
}

const distance2 = (x: Float32Array, i: number, c: Float32Array, j: number, dim: number) => {
  let d = 0;
  for (let f = 0; f < dim; f++) {
    const v = x[i * dim + f] - c[j * dim + f];
    d += v * v;
  }
  return d;
};

/** The nearest centroid to row `i` of `x`. */
export function nearest(x: Float32Array, i: number, centroids: Float32Array, dim: number): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let j = 0; j < centroids.length / dim; j++) {
    const d = distance2(x, i, centroids, j, dim);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/** Clusters the `n` rows of `x` (row-major, `dim` wide) into `k` groups; the same seed, the same result. */
export function kmeans(x: Float32Array, dim: number, k: number, seed = 1, iterations = 100): KMeans {
  const n = x.length / dim;
  const rnd = random(seed);
  const centroids = new Float32Array(k * dim);
  // k-means++: each next centre drawn with probability proportional to its squared distance.
  const first = Math.floor(rnd() * n);
  centroids.set(x.subarray(first * dim, (first + 1) * dim), 0);
  const d2 = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i], distance2(x, i, centroids, j - 1, dim));
      total += d2[i];
    }
    let r = rnd() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= d2[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    centroids.set(x.subarray(pick * dim, (pick + 1) * dim), j * dim);
  }
  const assignment = new Int32Array(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const j = nearest(x, i, centroids, dim);
      if (j !== assignment[i]) {
        assignment[i] = j;
        moved++;
      }
    }
    const sums = new Float64Array(k * dim);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      counts[assignment[i]]++;
      for (let f = 0; f < dim; f++) sums[assignment[i] * dim + f] += x[i * dim + f];
    }
    for (let j = 0; j < k; j++) {
      // An empty cluster keeps its centre rather than collapsing to the origin.
      if (counts[j]) for (let f = 0; f < dim; f++) centroids[j * dim + f] = sums[j * dim + f] / counts[j];
    }
    if (!moved) break;
  }
  return { k, centroids, dim, assignment };
}

/** Mean silhouette of a clustering over (up to `sample`) rows: near 1 tight and apart, near 0 overlapping. */
export function silhouette(
  x: Float32Array,
  dim: number,
  assignment: Int32Array,
  k: number,
  sample = 1500,
  seed = 1,
): number {
  const n = assignment.length;
  const rnd = random(seed);
  const rows = n <= sample ? [...Array(n).keys()] : Array.from({ length: sample }, () => Math.floor(rnd() * n));
  let total = 0;
  for (const i of rows) {
    const sum = new Float64Array(k);
    const count = new Int32Array(k);
    for (const j of rows) {
      if (i === j) continue;
      sum[assignment[j]] += Math.sqrt(distance2(x, i, x, j, dim));
      count[assignment[j]]++;
    }
    const own = assignment[i];
    const a = count[own] ? sum[own] / count[own] : 0;
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own && count[c]) b = Math.min(b, sum[c] / count[c]);
    total += count[own] && Number.isFinite(b) ? (b - a) / Math.max(a, b) : 0;
  }
  return total / rows.length;
}

/** k-means for each k in `ks`, keeping the one with the best silhouette; every k's silhouette too. */
export function bestKMeans(
  x: Float32Array,
  dim: number,
  ks: readonly number[],
  seed = 1,
): { best: KMeans; silhouette: number; tried: { k: number; silhouette: number }[] } {
  let best: { model: KMeans; silhouette: number } | undefined;
  const tried: { k: number; silhouette: number }[] = [];
  for (const k of ks) {
    const model = kmeans(x, dim, k, seed);
    const s = silhouette(x, dim, model.assignment, k, 1500, seed);
    tried.push({ k, silhouette: s });
    if (!best || s > best.silhouette) best = { model, silhouette: s };
  }
  if (!best) throw new Error('bestKMeans needs at least one k');
  return { best: best.model, silhouette: best.silhouette, tried };
}
