/**
 * @module training/eval/nelder-mead — the downhill simplex (Nelder & Mead, 1965) with the usual
 * coefficients (reflect 1, expand 2, contract ½, shrink ½): minimises a function of a few
 * parameters without its gradient, as maximum-likelihood fits of small probabilistic models do.
 * A non-finite value counts as +∞, so a function may refuse a point by returning NaN.
 */

export interface Minimum {
  x: number[];
  value: number;
  iterations: number;
  /** Whether the simplex's values agreed within `tolerance` before `maxIterations`. */
  converged: boolean;
}

export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  { step = 0.5, tolerance = 1e-9, maxIterations = 4000 } = {},
): Minimum {
  const n = start.length;
  const value = (x: readonly number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  let simplex = [start.slice(), ...start.map((_, i) => start.map((s, j) => (i === j ? s + step : s)))].map((x) => ({
    x,
    v: value(x),
  }));
  const along = (from: number[], to: number[], t: number) => from.map((a, i) => a + t * (to[i] - a));
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((a, b) => a.v - b.v);
    const best = simplex[0];
    const worst = simplex[n];
    if (Math.abs(worst.v - best.v) <= tolerance * (Math.abs(best.v) + tolerance)) {
      converged = true;
      break;
    }
    const centroid = Array.from({ length: n }, (_, i) => simplex.slice(0, n).reduce((s, p) => s + p.x[i], 0) / n);
    const reflected = along(centroid, worst.x, -1);
    const vr = value(reflected);
    if (vr < best.v) {
      const expanded = along(centroid, worst.x, -2);
      const ve = value(expanded);
      simplex[n] = ve < vr ? { x: expanded, v: ve } : { x: reflected, v: vr };
    } else if (vr < simplex[n - 1].v) {
      simplex[n] = { x: reflected, v: vr };
    } else {
      const outside = vr < worst.v;
      const contracted = along(centroid, outside ? reflected : worst.x, 0.5);
      const vc = value(contracted);
      if (vc < (outside ? vr : worst.v)) simplex[n] = { x: contracted, v: vc };
      else
        simplex = simplex
          .map((p, i) => (i === 0 ? p : { x: along(best.x, p.x, 0.5), v: Number.NaN }))
          .map((p) => (Number.isNaN(p.v) ? { x: p.x, v: value(p.x) } : p));
    }
  }
  simplex.sort((a, b) => a.v - b.v);
  return { x: simplex[0].x, value: simplex[0].v, iterations, converged };
}
