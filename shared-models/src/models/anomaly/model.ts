/**
 * @module shared-models/models/anomaly/model — an autoencoder over session features: a session it
 * cannot reconstruct is unlike normal traffic. The error is turned into the percentile of normal
 * sessions it exceeds, and the features it failed worst on are the reasons.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RARE_MAX_ITEMS, type RareItems } from '../../features/session';
import {
  columnSpans,
  encodeRows,
  fitTabular,
  inputSize,
  numericValue,
  type TableRow,
  type TabularSchema,
} from '../../features/tabular';
import { bloomTextLength } from '../../util/bloom';
import { ManifestError, type ModelManifest } from '../manifest';

export interface AnomalyManifest extends ModelManifest {
  name: 'anomaly';
  tabular: TabularSchema;
  /** Reconstruction errors of normal training sessions at percentiles 0, 1, …, 100. */
  error_percentiles: number[];
  /** Score (a percentile of normal traffic, 0–1) from which a session is flagged. */
  flag_at: number;
  /**
   * The calibration errors' mean excess over their 95th percentile: the scale of the tail the score
   * follows above the 99th percentile (see `percentileOf`), so that it keeps rising
   * past the largest calibration error instead of stopping at 1 (where the most unusual sessions
   * would all tie). Absent in models from before it existed, which keep the plain percentile.
   */
  error_tail_scale?: number;
  /**
   * Per input, the range normal training traffic covered (its 0.1st and 99.9th percentiles, encoded).
   * The network sees a session's inputs clamped to it and is judged against the values as they are,
   * so whatever lies beyond anything normal is error by construction: an autoencoder otherwise
   * reconstructs a scaled-up normal session (a slow scraper's hundred quiet page views) nearly as
   * well as a normal one. Absent in models from before it existed, which see inputs as they are.
   */
  input_bounds?: { lo: number[]; hi: number[] };
  /**
   * Per input, the mean squared reconstruction error of the normal sessions the network learnt from
   * (plus `ERROR_SCALE_FLOOR`): each input's error is divided by it before the mean, so that an
   * input the network reconstructs closely on normal traffic counts for as much when it is missed as
   * one it always reconstructs loosely (a standardised residual). Without it the mean was led by the
   * loosely reconstructed inputs, and one count a human never reaches — five categories in a click
   * session, a hundred films rated at human pace — was diluted among them. Absent in models from
   * before it existed, which divide by nothing.
   */
  error_scale?: number[];
  /**
   * What the session columns meant when the model was trained (`SESSION_FEATURES_VERSION`): its
   * sessions are described the same way when scored. Absent in models from before it existed (1).
   */
  session_features?: number;
  /**
   * The products hardly anybody opened in the sessions the network learnt from, against which a
   * session's `rare_item_surprise` is counted (see `RareItems`). Absent where no product was rare, and
   * in models from before it existed.
   */
  rare_items?: RareItems;
}

export interface AnomalyReason {
  feature: string;
  value: string;
  /** How many standard deviations of normal traffic the value is from its average (capped at 20). */
  z: number;
  /** This feature's share of the session's reconstruction error (as `error` counts it). */
  share: number;
}

export interface AnomalyScore {
  /** Mean squared reconstruction error per input (each divided by its `error_scale`): the raw statistic, for ranking. */
  error: number;
  /** Share of normal sessions whose error is lower: 0.5 is typical, 0.999 almost unseen. */
  score: number;
  flagged: boolean;
  reasons: AnomalyReason[];
}

/**
 * The spread given to a column normal traffic never varied on (every training session the same
 * value: no logins in a click log, no film rated twice in a sitting), in the column's encoded units
 * (after `log1p` for counts). Any value there is one normal traffic never showed, so it must weigh
 * as such: one login, or a share that moved by a twentieth, is then 5 or more standard deviations
 * out — where the spread of 1 the tabular encoding falls back to made a share's move of 0.05 a
 * twentieth of one, invisible beside the columns that do vary.
 */
export const NEVER_VARIED_SPREAD = 0.01;

/**
 * The encoding of session rows for the autoencoder: the tabular encoding fitted on normal traffic,
 * but clipped at ±20 standard deviations rather than at the 1st and 99th percentiles — clipping
 * there would hide exactly the sessions the model exists to see — and with `NEVER_VARIED_SPREAD`
 * for a column every normal session has the same value in: every one of `rows` (what the network
 * learns from) and of `seen` (every session the trainer holds, those it set aside as suspected bots
 * and those that calibrate the score included), so that an action some of them took, however rarely,
 * keeps the ordinary spread and cannot push the calibration's percentiles up.
 */
export function anomalySchema(
  rows: readonly TableRow[],
  columns: readonly string[],
  seen: readonly TableRow[] = rows,
): TabularSchema {
  const schema = fitTabular(rows, columns);
  for (const c of schema.columns) {
    if (c.kind !== 'numeric') continue;
    // Never varied: every session the same number, a blank counting as the column's fill.
    const cell = (row: TableRow) => numericValue(row[c.name]) ?? c.fill;
    const first = rows.length ? cell(rows[0]) : undefined;
    if (first !== undefined && rows.every((row) => cell(row) === first) && seen.every((row) => cell(row) === first)) {
      c.std = NEVER_VARIED_SPREAD;
      c.mean = first;
    }
    c.lo = c.mean - 20 * c.std;
    c.hi = c.mean + 20 * c.std;
  }
  return schema;
}

/** The autoencoder: inputs squeezed through a bottleneck (four wide unless told) and back. */
export function anomalyNetwork(inputs: number, seed = 1, bottleneck = 4): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: 12, activation: 'relu', kernelInitializer: init(0) }),
      tf.layers.dense({ units: bottleneck, kernelInitializer: init(1) }),
      tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: inputs, kernelInitializer: init(3) }),
    ],
  });
}

/**
 * What every input's `error_scale` adds to its mean squared error, in squared standard deviations of
 * normal traffic: a tenth of a standard deviation of error, so that an input the network reconstructs
 * almost exactly on normal traffic (a column that hardly varies) weighs at most about a hundred
 * times one it reconstructs to within a standard deviation, not without bound — where the smallest
 * new variation in such a column would outweigh everything else a session shows (on the Online
 * Retail benchmark a thousandth made the ranking of slow scrapers fragile: in one variant one model
 * of three caught 6 %).
 */
export const ERROR_SCALE_FLOOR = 0.01;
/**
 * The most an `error_scale` may be: inputs are clipped at 20 standard deviations, so no input's mean
 * squared error on normal traffic comes near; a larger one would quietly switch detection off.
 */
export const ERROR_SCALE_MAX = 1e4;

/** Each input's mean of `parts` (per-input squared errors of `n` rows) plus `ERROR_SCALE_FLOOR`: an `error_scale`. */
export function errorScale(parts: Float32Array, n: number, dim: number): number[] {
  const sums = new Float64Array(dim);
  for (let i = 0; i < n * dim; i++) sums[i % dim] += parts[i];
  return Array.from(sums, (sum) => ERROR_SCALE_FLOOR + (n ? sum / n : 0));
}

/** `parts` (per-input squared errors, row-major) with each input's divided by its `scale`; `parts` itself without one. */
function standardise(parts: Float32Array, dim: number, scale?: readonly number[]): Float32Array {
  return scale ? parts.map((v, i) => v / scale[i % dim]) : parts;
}

/** `x` (rows of `dim` inputs) with each input clamped to `bounds`; `x` itself without bounds. */
export function clampInputs(x: Float32Array, dim: number, bounds?: { lo: number[]; hi: number[] }): Float32Array {
  if (!bounds) return x;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const f = i % dim;
    out[i] = Math.min(bounds.hi[f], Math.max(bounds.lo[f], x[i]));
  }
  return out;
}

/** The per-input squared errors as a tensor: the network fed `x` clamped to `bounds`, judged against `x`. */
function errorTensor(
  network: tf.LayersModel,
  x: Float32Array,
  n: number,
  dim: number,
  bounds?: AnomalyManifest['input_bounds'],
) {
  return tf.tidy(() => {
    const target = tf.tensor2d(x, [n, dim]);
    const input = bounds ? tf.tensor2d(clampInputs(x, dim, bounds), [n, dim]) : target;
    return tf.squaredDifference(network.predict(input) as tf.Tensor, target);
  });
}

/** Each row's squared reconstruction error per input, row-major (inputs clamped to `bounds` where given). */
export function reconstructionErrors(
  network: tf.LayersModel,
  x: Float32Array,
  n: number,
  dim: number,
  bounds?: AnomalyManifest['input_bounds'],
): Float32Array {
  const t = errorTensor(network, x, n, dim, bounds);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/**
 * The percentile (0–1) of `error` among the 101 percentile points, interpolated; with `tailScale`,
 * above the 99th percentile a Pareto tail of that scale instead, `0.99 + 0.01 × d / (d + scale)`
 * for an error `d` past the 99th percentile: continuous there, rising with every larger error, below
 * 1 — so the most unusual 1 % of sessions are told apart and a threshold there means something. (An
 * exponential tail reaches 1.0 in floating point some 37 scales out, where attacks sit: a tie again.)
 */
export function percentileOf(error: number, points: readonly number[], tailScale?: number): number {
  const last = points.length - 1;
  const top = Math.floor(last * 0.99);
  if (tailScale !== undefined && tailScale > 0 && error > points[top]) {
    const base = top / last;
    const d = error - points[top];
    return base + ((1 - base) * d) / (d + tailScale);
  }
  if (error <= points[0]) return 0;
  if (error >= points[last]) return 1;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid] <= error) lo = mid;
    else hi = mid;
  }
  const span = points[hi] - points[lo] || 1;
  return (lo + (error - points[lo]) / span) / last;
}

export interface AnomalyModel {
  readonly manifest: AnomalyManifest;
  score(rows: readonly TableRow[]): AnomalyScore[];
  /** The same, reading results back asynchronously: what the browser must use (WebGPU has no synchronous read-back). */
  scoreAsync(rows: readonly TableRow[]): Promise<AnomalyScore[]>;
  dispose(): void;
}

/** Mean squared reconstruction error of each of `n` encoded rows, each input's divided by its `scale` where given. */
export const meanErrors = (
  network: tf.LayersModel,
  x: Float32Array,
  n: number,
  dim: number,
  bounds?: AnomalyManifest['input_bounds'],
  scale?: readonly number[],
) => meanOfRows(standardise(reconstructionErrors(network, x, n, dim, bounds), dim, scale), n, dim);

function meanOfRows(parts: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let f = 0; f < dim; f++) sum += parts[r * dim + f];
    out[r] = sum / dim;
  }
  return out;
}

/** The longest `rare_items.bits`: the filter of `RARE_MAX_ITEMS` products, the most the trainer writes. */
const RARE_BITS_MAX = bloomTextLength(RARE_MAX_ITEMS);

/** A `rare_items` a device can read, no larger than the trainer writes. */
const RARE_ITEMS = z.object({
  bits: z
    .string()
    .min(4)
    .max(RARE_BITS_MAX)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .refine((b) => b.length % 4 === 0),
  hashes: z.number().int().min(1).max(16),
  items: z.number().int().min(0),
  share: z.number().min(0).max(1),
});

/** How far outside normal traffic (in standard deviations) a feature must be to be named as a reason. */
export const REASON_MIN_Z = 3;

/**
 * Scores sessions. The autoencoder's error decides how unusual a session is; its reasons are the
 * features furthest outside normal traffic (beyond three standard deviations of it): a card
 * tester's twenty failed payments, not the purchases the network, thrown by them, expected. A
 * session odd only in combination, with every feature in range, gets the features the network
 * reconstructed worst.
 */
export function createAnomalyModel(network: tf.LayersModel, manifest: AnomalyManifest): AnomalyModel {
  const spans = columnSpans(manifest.tabular);
  const dim = inputSize(manifest.tabular);
  const bounds = manifest.input_bounds;
  // zod reads every index, so a sparse array's hole fails as a missing number, not NaN scored.
  const inputs = (entry: z.ZodNumber) => z.array(entry).length(dim);
  if (
    bounds &&
    !z
      .object({ lo: inputs(z.number()), hi: inputs(z.number()) })
      .refine(({ lo, hi }) => lo.every((l, i) => l <= hi[i]))
      .safeParse(bounds).success
  ) {
    throw new ManifestError(`manifest field input_bounds: expected ${dim} finite ranges, one per input`);
  }
  const scale = manifest.error_scale;
  if (scale !== undefined && !inputs(z.number().min(ERROR_SCALE_FLOOR).max(ERROR_SCALE_MAX)).safeParse(scale).success) {
    throw new ManifestError(
      `manifest field error_scale: expected ${dim} numbers from ${ERROR_SCALE_FLOOR} to ${ERROR_SCALE_MAX}, one per input`,
    );
  }
  if (manifest.rare_items !== undefined && !RARE_ITEMS.safeParse(manifest.rare_items).success) {
    throw new ManifestError(
      `manifest field rare_items: expected base64 bits (at most ${RARE_BITS_MAX} characters), 1 to 16 hashes, a count and a share`,
    );
  }
  const scoreFrom = (rows: readonly TableRow[], x: Float32Array, raw: Float32Array): AnomalyScore[] => {
    const parts = standardise(raw, dim, scale);
    const errors = meanOfRows(parts, rows.length, dim);
    return rows.map((row, r) => {
      const error = errors[r];
      const effects = spans.map((span) => {
        let effect = 0;
        let z = 0;
        for (let i = span.start; i < span.start + span.width; i++) {
          effect += parts[r * dim + i];
          z = Math.max(z, Math.abs(x[r * dim + i]));
        }
        return { feature: span.name, value: row[span.name] ?? '', effect, z };
      });
      const total = effects.reduce((sum, e) => sum + e.effect, 0) || 1;
      const outside = effects.filter((e) => e.z >= REASON_MIN_Z);
      // Furthest outside normal traffic first; odd only in combination, the worst reconstructed first.
      const reasons = (outside.length ? outside : effects.filter((e) => e.effect > 0))
        .sort((a, b) => (outside.length ? b.z - a.z : 0) || b.effect - a.effect)
        .slice(0, 3)
        .map(({ feature, value, effect, z }) => ({
          feature,
          value,
          z: Math.round(z * 10) / 10,
          share: Math.round((effect / total) * 1000) / 1000,
        }));
      const score = percentileOf(error, manifest.error_percentiles, manifest.error_tail_scale);
      return { error, score, flagged: score >= manifest.flag_at, reasons };
    });
  };
  return {
    manifest,
    score(rows) {
      if (!rows.length) return [];
      const x = encodeRows(manifest.tabular, rows);
      return scoreFrom(rows, x, reconstructionErrors(network, x, rows.length, dim, manifest.input_bounds));
    },
    async scoreAsync(rows) {
      if (!rows.length) return [];
      const x = encodeRows(manifest.tabular, rows);
      const t = errorTensor(network, x, rows.length, dim, manifest.input_bounds);
      try {
        return scoreFrom(rows, x, (await t.data()) as Float32Array);
      } finally {
        t.dispose();
      }
    },
    dispose() {
      network.dispose();
    },
  };
}
