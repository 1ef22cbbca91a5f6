/**
 * @module training/eval/isolation-forest — Liu, Ting & Zhou's isolation forest (2008), the standard
 * unsupervised outlier baseline: random axis-aligned cuts isolate an unusual row in fewer steps
 * than a usual one. Seeded, so a benchmark gives the same numbers every run (the npm packages for
 * it draw from `Math.random` and are unmaintained). A baseline for the anomaly benchmark, never
 * shipped to a device.
 */
import { random } from '@aisle/shared-models/util/random';

type Node = { size: number } | { feature: number; cut: number; left: Node; right: Node };

/** Average path length of an unsuccessful search in a binary search tree of n rows: the normaliser. */
function c(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

export interface IsolationForest {
  /** Anomaly scores in (0, 1], higher more isolated, for `n` rows of `dim` values, row-major. */
  score(x: ArrayLike<number>, n: number): Float64Array;
}

/** Fits `trees` trees on sub-samples of `sample` rows of `x` (`n` rows of `dim` values, row-major). */
export function isolationForest(
  x: ArrayLike<number>,
  n: number,
  dim: number,
  { trees = 100, sample = 256, seed = 1 } = {},
): IsolationForest {
  const rnd = random(seed);
  const size = Math.min(sample, n);
  const limit = Math.ceil(Math.log2(Math.max(2, size)));
  const build = (rows: number[], depth: number): Node => {
    if (depth >= limit || rows.length <= 1) return { size: rows.length };
    // A feature that still varies among these rows, tried a few times.
    for (let tries = 0; tries < dim; tries++) {
      const feature = Math.floor(rnd() * dim);
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of rows) {
        const v = x[r * dim + feature];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi <= lo) continue;
      const cut = lo + rnd() * (hi - lo);
      const left = rows.filter((r) => x[r * dim + feature] < cut);
      const right = rows.filter((r) => x[r * dim + feature] >= cut);
      return { feature, cut, left: build(left, depth + 1), right: build(right, depth + 1) };
    }
    return { size: rows.length };
  };
  const forest: Node[] = [];
  for (let t = 0; t < trees; t++) {
    const picked = new Set<number>();
    while (picked.size < size) picked.add(Math.floor(rnd() * n));
    forest.push(build([...picked], 0));
  }
  const pathLength = (row: ArrayLike<number>, at: number, node: Node, depth: number): number => {
    if (!('feature' in node)) return depth + c(node.size);
    return pathLength(row, at, row[at + node.feature] < node.cut ? node.left : node.right, depth + 1);
  };
  return {
    score(rows, count) {
      const out = new Float64Array(count);
      for (let r = 0; r < count; r++) {
        let total = 0;
        for (const tree of forest) total += pathLength(rows, r * dim, tree, 0);
        out[r] = 2 ** (-total / forest.length / c(size));
      }
      return out;
    },
  };
}
