/**
 * @module training/pipelines/anomaly — the session autoencoder: trained on the earlier 80 % of
 * sessions (by start time) twice — the second time without the sessions the first fit could not
 * reconstruct (the 1 % most unusual: suspected bots stay out of "normal") — and calibrated on the
 * later 20 %, whose error percentiles turn an error into a score.
 */

import {
  rareItems,
  type ScoredBy,
  SESSION_COLUMNS,
  SESSION_FEATURES_VERSION,
  sessionize,
  sessionRow,
} from '@aisle/shared-models/features/session';
import { encodeRows, inputSize, type TableRow, type TabularSchema } from '@aisle/shared-models/features/tabular';
import {
  type AnomalyManifest,
  anomalyNetwork,
  anomalySchema,
  clampInputs,
  errorScale,
  meanErrors,
  NEVER_VARIED_SPREAD,
  reconstructionErrors,
} from '@aisle/shared-models/models/anomaly';
import { MANIFEST_VERSION } from '@aisle/shared-models/models/manifest';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../data/errors';
import { fitSeeded } from './fit-layers';

export interface AnomalyOptions {
  epochs?: number;
  seed?: number;
  version?: number;
  /** Score from which a session is flagged (default 0.99: one normal session in a hundred). */
  flagAt?: number;
  onEpoch?: (done: number, total: number) => void;
  /**
   * What operators said of earlier flags (session ids): confirmed bots are left out of everything
   * the model learns as normal and of its calibration; false alarms are always kept as normal.
   */
  labels?: { confirmed: ReadonlySet<string>; humans: ReadonlySet<string> };
  /** Width of the autoencoder's bottleneck (default 4). */
  bottleneck?: number;
  /** Whether the network sees inputs clamped to normal traffic's range (`input_bounds`; default yes). */
  bounded?: boolean;
}

export interface AnomalyTrainResult {
  network: tf.LayersModel;
  manifest: Omit<AnomalyManifest, 'shards'>;
  /** Sessions left out of the second fit as suspected bots. */
  suspected: string[];
}

/** Sessions needed before "normal" means anything. */
export const MIN_SESSIONS = 50;
/** Share of training sessions set aside as suspected bots after the first fit. */
const SUSPECT_SHARE = 0.01;
const PATIENCE = 6;

type Sessions = [id: string, events: Interaction[]][];

/** Each session of `events`, ordered by its first event. */
const orderedSessions = (events: readonly Interaction[]): Sessions =>
  [...sessionize(events)].sort((a, b) => a[1][0].ts - b[1][0].ts);

/** Each session's id, row (with the columns `model` was trained on, else today's) and start. */
const tableOf = (sessions: Sessions, model?: ScoredBy) => ({
  ids: sessions.map(([id]) => id),
  rows: sessions.map(([, list]) => sessionRow(list, model)),
  starts: sessions.map(([, list]) => list[0].ts),
});

/** Each session's id and row, ordered by the session's first event (the columns `model` was trained on, else today's). */
export const sessionTable = (events: readonly Interaction[], model?: ScoredBy) =>
  tableOf(orderedSessions(events), model);

type Bounds = AnomalyManifest['input_bounds'];

/**
 * Mean squared reconstruction error of each row (its inputs clamped to `bounds` where given), each
 * input's divided by its `scale` where given.
 */
export const rowErrors = (
  network: tf.LayersModel,
  schema: TabularSchema,
  rows: readonly TableRow[],
  bounds?: Bounds,
  scale?: readonly number[],
) => meanErrors(network, encodeRows(schema, rows), rows.length, inputSize(schema), bounds, scale);

/** Each input's mean squared reconstruction error over `rows`, what the network learnt from: its `error_scale`. */
function fittedScale(network: tf.LayersModel, schema: TabularSchema, rows: readonly TableRow[], bounds?: Bounds) {
  const dim = inputSize(schema);
  return errorScale(
    reconstructionErrors(network, encodeRows(schema, rows), rows.length, dim, bounds),
    rows.length,
    dim,
  );
}

/** Share of normal training traffic beyond each end of an input's range (see `input_bounds`). */
const BOUND_SHARE = 0.001;

/** Each input's range over `rows`, between its 0.1st and 99.9th percentiles. */
export function inputBounds(schema: TabularSchema, rows: readonly TableRow[]): NonNullable<Bounds> {
  const dim = inputSize(schema);
  const x = encodeRows(schema, rows);
  const lo: number[] = [];
  const hi: number[] = [];
  for (let f = 0; f < dim; f++) {
    const values = Float64Array.from({ length: rows.length }, (_, r) => x[r * dim + f]).sort();
    lo.push(quantile(values, BOUND_SHARE));
    hi.push(quantile(values, 1 - BOUND_SHARE));
  }
  return { lo, hi };
}

export const quantile = (sorted: ArrayLike<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

async function fitAutoencoder(
  schema: TabularSchema,
  rows: readonly TableRow[],
  bounds: Bounds,
  epochs: number,
  { seed, bottleneck }: { seed: number; bottleneck: number },
  onEpoch: (epoch: number) => void,
): Promise<{ network: tf.LayersModel; loss: number; epochs: number }> {
  const dim = inputSize(schema);
  const network = anomalyNetwork(dim, seed, bottleneck);
  network.compile({ optimizer: tf.train.adam(0.005), loss: 'meanSquaredError' });
  // Normal traffic within its own range: what the network is shown, and what it is asked to give back.
  const x = tf.tensor2d(clampInputs(encodeRows(schema, rows), dim, bounds), [rows.length, dim]);
  // The validation share is the last tenth of the rows, which are in time order: a time-based split.
  const cut = Math.floor(rows.length * 0.9);
  const [train, valid] = tf.split(x, [cut, rows.length - cut]);
  x.dispose();
  try {
    const fitted = await fitSeeded(network, train, train, {
      epochs,
      batchSize: 64,
      seed,
      validationData: [valid, valid],
      patience: PATIENCE,
      onEpoch: (epoch) => onEpoch(epoch + 1),
    });
    return { network, loss: fitted.best, epochs: fitted.epochs };
  } finally {
    tf.dispose([train, valid]);
    // The optimizer's moment estimates: the network is not trained further, and it does not own them.
    network.optimizer.dispose();
  }
}

export async function trainAnomaly(
  events: readonly Interaction[],
  options: AnomalyOptions = {},
): Promise<AnomalyTrainResult> {
  const { epochs = 60, seed = 42, flagAt = 0.99, labels, bottleneck = 4, bounded = true } = options;
  const sessions = orderedSessions(events);
  // Confirmed bots are no part of normal traffic, nor of what its rarely opened products are.
  const kept = sessions.filter(([id]) => !labels?.confirmed.has(id));
  const confirmed = sessions.length - kept.length;
  // Rare as the training sessions have it, never those that calibrate it (the suspected bots among
  // them included: they are known only after the first fit, which reads the column).
  const rare = rareItems(kept.slice(0, Math.floor(kept.length * 0.8)).map(([, list]) => list));
  const table = tableOf(kept, { session_features: SESSION_FEATURES_VERSION, rare_items: rare });
  const n = table.rows.length;
  if (n < MIN_SESSIONS)
    throw new DataError(`need at least ${MIN_SESSIONS} sessions to learn normal traffic, have ${n}`);
  const cut = Math.floor(n * 0.8);
  const trainRows = table.rows.slice(0, cut);
  const calibrationRows = table.rows.slice(cut);
  const progress = (round: number) => (epoch: number) => options.onEpoch?.(round * epochs + epoch, 2 * epochs);

  // First fit on everything, to find the sessions that do not look like the rest.
  const first = anomalySchema(trainRows, SESSION_COLUMNS, table.rows);
  const firstBounds = bounded ? inputBounds(first, trainRows) : undefined;
  const draft = await fitAutoencoder(first, trainRows, firstBounds, epochs, { seed, bottleneck }, progress(0));
  // Plain errors here: a scale measured on these rows would be inflated by the very sessions this
  // fit is to find (on the inputs they are off on), dulling it exactly there.
  const draftErrors = rowErrors(draft.network, first, trainRows, firstBounds);
  draft.network.dispose();
  const limit = quantile(Float64Array.from(draftErrors).sort(), 1 - SUSPECT_SHARE);
  const isNormal = (i: number) =>
    draftErrors[i] < limit || draftErrors[i] === 0 || Boolean(labels?.humans.has(table.ids[i]));
  const normal = trainRows.filter((_, i) => isNormal(i));
  const suspected = table.ids.slice(0, cut).filter((_, i) => !isNormal(i));
  options.onEpoch?.(epochs, 2 * epochs);

  const schema = anomalySchema(normal, SESSION_COLUMNS, table.rows);
  const bounds = bounded ? inputBounds(schema, normal) : undefined;
  const fitted = await fitAutoencoder(schema, normal, bounds, epochs, { seed, bottleneck }, progress(1));
  const { network, loss, epochs: ran } = fitted;
  options.onEpoch?.(2 * epochs, 2 * epochs);
  const scale = fittedScale(network, schema, normal, bounds);
  const calibration = Float64Array.from(rowErrors(network, schema, calibrationRows, bounds, scale)).sort();
  const percentiles = Array.from({ length: 101 }, (_, p) => quantile(calibration, p / 100));
  // The tail's scale, the mean excess over the 95th percentile: what the score follows past the
  // 99th, where 1 % of the calibration sessions are too few to interpolate (see `percentileOf`).
  const p95 = quantile(calibration, 0.95);
  const excess = calibration.filter((e) => e > p95).map((e) => e - p95);
  const tailScale = excess.length ? excess.reduce((a, b) => a + b, 0) / excess.length : 0;
  const flagged = calibration.filter((e) => e >= quantile(calibration, flagAt)).length;

  const manifest: Omit<AnomalyManifest, 'shards'> = {
    manifest_version: MANIFEST_VERSION,
    name: 'anomaly',
    version: options.version ?? 1,
    feature_schema_version: schema.version,
    created_at: new Date().toISOString(),
    tabular: schema,
    error_percentiles: percentiles,
    flag_at: flagAt,
    ...(tailScale > 0 ? { error_tail_scale: tailScale } : {}),
    ...(bounds ? { input_bounds: bounds } : {}),
    error_scale: scale,
    session_features: SESSION_FEATURES_VERSION,
    ...(rare ? { rare_items: rare } : {}),
    metrics: {
      sessions: n,
      training_sessions: normal.length,
      excluded_as_suspected_bots: trainRows.length - normal.length,
      confirmed_bots_left_out: confirmed,
      false_alarms_kept: table.ids.filter((id) => labels?.humans.has(id)).length,
      calibration_sessions: calibrationRows.length,
      validation_loss: loss,
      epochs: draft.epochs + ran,
      median_error: percentiles[50],
      p99_error: percentiles[99],
      calibration_flagged_share: flagged / calibrationRows.length,
      trained_until: new Date(table.starts[cut - 1]).toISOString(),
      // Columns no session varied on (an action the log never has): any value there is unlike
      // everything the model knows, so a session with it is flagged (`NEVER_VARIED_SPREAD`).
      never_varied: schema.columns
        .filter((c) => c.kind === 'numeric' && c.std === NEVER_VARIED_SPREAD)
        .map((c) => c.name),
    },
  };
  return { network, manifest, suspected };
}
