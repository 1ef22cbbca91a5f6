/**
 * @module shared-models/models/anomaly/model — an autoencoder over session features: a session it
 * cannot reconstruct is unlike normal traffic. The error is turned into the percentile of normal
 * sessions it exceeds, and the features it failed worst on are the reasons.
 */
import * as tf from '@tensorflow/tfjs';
import { encodeRows, fitTabular, type TableRow, type TabularSchema } from '../../features/tabular';
import type { ModelManifest } from '../manifest';

export interface AnomalyManifest extends ModelManifest {
  name: 'anomaly';
  tabular: TabularSchema;
  /** Reconstruction errors of normal training sessions at percentiles 0, 1, …, 100. */
  error_percentiles: number[];
  /** Score (a percentile of normal traffic, 0–1) from which a session is flagged. */
  flag_at: number;
}

export interface AnomalyReason {
  feature: string;
  value: string;
  /** Share of the session's reconstruction error on this feature. */
  share: number;
}

export interface AnomalyScore {
  /** Mean squared reconstruction error per input: the raw statistic, for ranking. */
  error: number;
  /** Share of normal sessions whose error is lower: 0.5 is typical, 0.999 almost unseen. */
  score: number;
  flagged: boolean;
  reasons: AnomalyReason[];
}

/**
 * The encoding of session rows for the autoencoder: the tabular encoding fitted on normal traffic,
 * but clipped at ±20 standard deviations rather than at the 1st and 99th percentiles — clipping
 * there would hide exactly the sessions the model exists to see.
 */
export function anomalySchema(rows: readonly TableRow[], columns: readonly string[]): TabularSchema {
  const schema = fitTabular(rows, columns);
  for (const c of schema.columns) {
    if (c.kind !== 'numeric') continue;
    c.lo = c.mean - 20 * c.std;
    c.hi = c.mean + 20 * c.std;
  }
  return schema;
}

/** The autoencoder: inputs squeezed through a bottleneck of four and back. */
export function anomalyNetwork(inputs: number, seed = 1): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: 12, activation: 'relu', kernelInitializer: init(0) }),
      tf.layers.dense({ units: 4, kernelInitializer: init(1) }),
      tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: inputs, kernelInitializer: init(3) }),
    ],
  });
}

/** Each row's squared reconstruction error per input, row-major. */
export function reconstructionErrors(network: tf.LayersModel, x: Float32Array, n: number, dim: number): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor2d(x, [n, dim]);
    return tf.squaredDifference(network.predict(input) as tf.Tensor, input).dataSync() as Float32Array;
  });
}

/** The percentile (0–1) of `error` among the 101 percentile points, interpolated. */
export function percentileOf(error: number, points: readonly number[]): number {
  if (error <= points[0]) return 0;
  if (error >= points[points.length - 1]) return 1;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid] <= error) lo = mid;
    else hi = mid;
  }
  const span = points[hi] - points[lo] || 1;
  return (lo + (error - points[lo]) / span) / (points.length - 1);
}

export interface AnomalyModel {
  readonly manifest: AnomalyManifest;
  score(rows: readonly TableRow[]): AnomalyScore[];
  dispose(): void;
}

export function createAnomalyModel(network: tf.LayersModel, manifest: AnomalyManifest): AnomalyModel {
  const names = manifest.tabular.columns.map((c) => c.name);
  const dim = names.length;
  return {
    manifest,
    score(rows) {
      if (!rows.length) return [];
      const errors = reconstructionErrors(network, encodeRows(manifest.tabular, rows), rows.length, dim);
      return rows.map((row, r) => {
        const parts = errors.subarray(r * dim, (r + 1) * dim);
        const total = parts.reduce((s, v) => s + v, 0);
        const score = percentileOf(total / dim, manifest.error_percentiles);
        const reasons = names
          .map((feature, f) => ({ feature, value: row[feature] ?? '', share: total ? parts[f] / total : 0 }))
          .sort((a, b) => b.share - a.share)
          .slice(0, 3);
        return { error: total / dim, score, flagged: score >= manifest.flag_at, reasons };
      });
    },
    dispose() {
      network.dispose();
    },
  };
}
