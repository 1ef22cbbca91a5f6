/**
 * @module training/pipelines/churn-table — churn from a customer table: logistic regression and a
 * small MLP with class weights (and, given recency-frequency-money columns, the MLP averaged with a
 * logistic regression on those alone), the best on validation kept, its logit calibrated (Platt) and
 * its threshold chosen for F1 on validation, then judged once on held-out test rows.
 */

import { columnSpans, encodeRows, fitTabular, inputSize, type TableRow } from '@aisle/shared-models/features/tabular';
import {
  averageNetwork,
  type ChurnArchitecture,
  type ChurnManifest,
  churnNetwork,
  createChurnModel,
} from '@aisle/shared-models/models/churn';
import { MANIFEST_VERSION } from '@aisle/shared-models/models/manifest';
import { random, shuffleInPlace } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../data/errors';
import { requireColumn, type Table } from '../data/table';
import {
  bestF1Threshold,
  type ClassificationMetrics,
  classify,
  fitPlatt,
  rocAuc,
  rocAucStandardError,
} from '../eval/classification';
import { fitSeeded } from './fit-layers';

export interface ChurnTableOptions {
  label: string;
  id?: string;
  /** The label value meaning churn; by default the one of TRUE/true/1/yes/churned that the column has. */
  positive?: string;
  /** Columns to treat as categories although they hold numbers (region codes, plan ids). */
  categorical?: string[];
  epochs?: number;
  seed?: number;
  version?: number;
  onEpoch?: (done: number, total: number) => void;
  /**
   * Rows to judge on (a later period), instead of a random 15 %: the others are split 85/15 into
   * training and validation by `groups` (one customer's rows on one side).
   */
  testRows?: ReadonlySet<number>;
  /** Each row's group (its customer), for the split beside `testRows`. */
  groups?: readonly string[];
  /**
   * Recency, frequency and money columns: a third candidate averages the MLP with a logistic
   * regression on these alone (`mlp+rfm`). Ignored unless the table has every one.
   */
  rfm?: readonly string[];
}

export interface ChurnTableResult {
  network: tf.LayersModel;
  manifest: Omit<ChurnManifest, 'shards'>;
  /** Test-set metrics of every architecture, the kept one first. */
  compared: { architecture: ChurnArchitecture; validRocAuc: number; test: ClassificationMetrics }[];
  /** Why the kept one was kept, in words. */
  choice: string;
  rows: { train: number; valid: number; test: number };
}

/** Epochs without a better validation loss before training stops. */
const PATIENCE = 6;

const POSITIVE_WORDS = ['true', '1', 'yes', 'y', 'churned', 'churn', 'positive'];

/** Which label value is the positive class; a `DataError` unless the column has exactly two values. */
export function positiveValue(rows: readonly TableRow[], label: string, positive?: string): string {
  const values = [...new Set(rows.map((r) => (r[label] ?? '').trim()))];
  if (values.includes('')) {
    const line = rows.findIndex((r) => !(r[label] ?? '').trim()) + 2;
    throw new DataError(`label ${label} is blank on line ${line}: every row needs a label`);
  }
  if (values.length !== 2) {
    throw new DataError(
      `label ${label} must have exactly two values, found ${values.length}: ${values.slice(0, 5).join(', ')}`,
    );
  }
  if (positive !== undefined) {
    if (!values.includes(positive))
      throw new DataError(`--positive ${positive}: label ${label} holds ${values.join(' and ')}`);
    return positive;
  }
  const found = values.find((v) => POSITIVE_WORDS.includes(v.toLowerCase()));
  if (!found)
    throw new DataError(`label ${label} holds ${values.join(' and ')}: say which one is churn with --positive`);
  return found;
}

/** Training and validation rows beside given test rows: 85/15 by group, the same for the same seed. */
export function splitBeside(
  rows: number,
  test: ReadonlySet<number>,
  groups: readonly string[] | undefined,
  seed: number,
): { train: number[]; valid: number[]; test: number[] } {
  const rnd = random(seed);
  const keyOf = (i: number) => groups?.[i] ?? String(i);
  const rest = [...Array(rows).keys()].filter((i) => !test.has(i));
  const keys = shuffleInPlace([...new Set(rest.map(keyOf))].sort(), rnd);
  const validKeys = new Set(keys.slice(0, Math.round(keys.length * 0.15)));
  return {
    train: rest.filter((i) => !validKeys.has(keyOf(i))),
    valid: rest.filter((i) => validKeys.has(keyOf(i))),
    test: [...test].sort((a, b) => a - b),
  };
}

/** Stratified split, 70/15/15, the same for the same seed. */
function split(labels: Uint8Array, seed: number): { train: number[]; valid: number[]; test: number[] } {
  const rnd = random(seed);
  const out = { train: [] as number[], valid: [] as number[], test: [] as number[] };
  for (const cls of [0, 1]) {
    const idx = shuffleInPlace(
      [...labels.keys()].filter((i) => labels[i] === cls),
      rnd,
    );
    const a = Math.round(idx.length * 0.7);
    const b = Math.round(idx.length * 0.85);
    out.train.push(...idx.slice(0, a));
    out.valid.push(...idx.slice(a, b));
    out.test.push(...idx.slice(b));
  }
  return out;
}

export async function trainChurnTable(table: Table, options: ChurnTableOptions): Promise<ChurnTableResult> {
  const { epochs = 40, seed = 42 } = options;
  const label = requireColumn(table, options.label, 'label');
  const id = options.id === undefined ? undefined : requireColumn(table, options.id, 'id');
  for (const c of options.categorical ?? []) requireColumn(table, c, 'categorical');
  const positive = positiveValue(table.rows, label, options.positive);
  const labels = Uint8Array.from(table.rows, (r) => ((r[label] ?? '').trim() === positive ? 1 : 0));
  const positives = labels.reduce((n, y) => n + y, 0);
  if (positives < 10 || labels.length - positives < 10) {
    throw new DataError(
      `label ${label}: need at least 10 rows of each class, have ${positives} and ${labels.length - positives}`,
    );
  }
  const features = table.columns.filter((c) => c !== label && c !== id);
  if (!features.length) throw new DataError('no feature columns besides the label and the id');

  const parts = options.testRows
    ? splitBeside(labels.length, options.testRows, options.groups, seed)
    : split(labels, seed);
  for (const [part, idx] of Object.entries(parts)) {
    const positives = idx.reduce((n, i) => n + labels[i], 0);
    if (!positives || positives === idx.length)
      throw new DataError(`the ${part} rows hold only one class (${idx.length} rows): nothing to learn or judge`);
  }
  const pick = (idx: number[]) => idx.map((i) => table.rows[i]);
  const tabular = fitTabular(pick(parts.train), features, new Set(options.categorical));
  const size = inputSize(tabular);
  const x = (idx: number[]) => tf.tensor2d(encodeRows(tabular, pick(idx)), [idx.length, size]);
  const y = (idx: number[]) =>
    tf.tensor2d(
      Float32Array.from(idx, (i) => labels[i]),
      [idx.length, 1],
    );
  const yOf = (idx: number[]) => Uint8Array.from(idx, (i) => labels[i]);
  // Class weights: each class counts as much as the other in the loss, however rare churn is.
  const trainPositives = parts.train.reduce((n, i) => n + labels[i], 0);
  const classWeight = {
    0: parts.train.length / (2 * (parts.train.length - trainPositives)),
    1: parts.train.length / (2 * trainPositives),
  };

  const xTrain = x(parts.train);
  const yTrain = y(parts.train);
  const xValid = x(parts.valid);
  const yValid = y(parts.valid);
  const rfm = options.rfm?.length && options.rfm.every((c) => features.includes(c)) ? options.rfm : undefined;
  // Where the recency, frequency and money columns sit in the encoded input.
  const rfmAt = rfm
    ? columnSpans(tabular)
        .filter((span) => rfm.includes(span.name))
        .flatMap((span) => Array.from({ length: span.width }, (_, k) => span.start + k))
    : [];
  const fits = 2 + (rfm ? 1 : 0);
  const trained: { architecture: ChurnArchitecture; network: tf.LayersModel; validRocAuc: number }[] = [];
  const validLogits = (network: tf.LayersModel, x: tf.Tensor) =>
    tf.tidy(() => Float32Array.from((network.predict(x) as tf.Tensor).dataSync()));
  const fit = async (n: number, kind: 'logistic' | 'mlp', inputs: number, xt: tf.Tensor, xv: tf.Tensor) => {
    const network = churnNetwork(inputs, kind, seed);
    network.compile({
      optimizer: tf.train.adam(kind === 'logistic' ? 0.02 : 0.005),
      loss: (yTrue: tf.Tensor, logit: tf.Tensor) => tf.losses.sigmoidCrossEntropy(yTrue, logit),
    });
    await fitSeeded(network, xt, yTrain, {
      epochs,
      batchSize: 128,
      seed: seed + n,
      classWeight,
      validationData: [xv, yValid],
      patience: PATIENCE,
      restoreBest: true,
      onEpoch: (epoch) => options.onEpoch?.(n * epochs + epoch + 1, fits * epochs),
      onStop: () => options.onEpoch?.((n + 1) * epochs, fits * epochs),
    });
    // Its moment estimates are of no more use: the network is not trained further.
    network.optimizer.dispose();
    return network;
  };
  try {
    for (const [n, architecture] of (['logistic', 'mlp'] as const).entries()) {
      const network = await fit(n, architecture, size, xTrain, xValid);
      trained.push({ architecture, network, validRocAuc: rocAuc(validLogits(network, xValid), yOf(parts.valid)) });
    }
    if (rfm) {
      const at = tf.tensor1d(rfmAt, 'int32');
      const [rfmTrain, rfmValid] = [tf.gather(xTrain, at, 1), tf.gather(xValid, at, 1)];
      const linear = await fit(2, 'logistic', rfmAt.length, rfmTrain, rfmValid);
      // Each member's logit over its spread on validation rows, so that each counts alike.
      const spreadOf = (z: Float32Array) => {
        const mean = z.reduce((s, v) => s + v, 0) / z.length;
        return Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
      };
      const deep = trained[1].network;
      const [deepSpread, linearSpread] = [spreadOf(validLogits(deep, xValid)), spreadOf(validLogits(linear, rfmValid))];
      // Recency, frequency and money the same for every row (visits, and nobody bought): nothing to average.
      if (linearSpread > 1e-6 && deepSpread > 1e-6) {
        const network = averageNetwork(
          size,
          { network: deep, scale: deepSpread },
          { network: linear, columns: rfmAt, scale: linearSpread },
        );
        trained.push({
          architecture: 'mlp+rfm',
          network,
          validRocAuc: rocAuc(validLogits(network, xValid), yOf(parts.valid)),
        });
      }
      tf.dispose([at, rfmTrain, rfmValid]);
      linear.dispose();
    }
  } finally {
    tf.dispose([xTrain, yTrain, xValid, yValid]);
  }
  trained.sort((a, b) => b.validRocAuc - a.validRocAuc);
  // The average is kept unless a single network beats it on validation by more than validation's
  // own noise (the one-standard-error rule): averaged, neither member's quirks of the training
  // period carry as far into a later one. On Online Retail validation chose the MLP alone every
  // seed, by less than its noise, and the MLP was the worse of the two on every later period.
  const average = trained.findIndex((t) => t.architecture === 'mlp+rfm');
  let choice = `${trained[0].architecture}: the best validation ROC-AUC`;
  if (average > 0) {
    const validY = yOf(parts.valid);
    const positives = validY.reduce((n: number, v) => n + v, 0);
    const noise = rocAucStandardError(trained[0].validRocAuc, positives, validY.length - positives);
    const ahead = trained[0].validRocAuc - trained[average].validRocAuc;
    const verdict = `${trained[0].architecture} ahead on validation by ${ahead.toFixed(4)}, its standard error there ${noise.toFixed(4)}`;
    if (ahead <= noise) {
      choice = `mlp+rfm: ${verdict} (an average is kept unless beaten by more)`;
      trained.unshift(...trained.splice(average, 1));
    } else choice = `${trained[0].architecture}: ${verdict}`;
  }

  const validRows = pick(parts.valid);
  const testRows = pick(parts.test);
  const compared = trained.map(({ architecture, network, validRocAuc }) => {
    const draft = manifestFor(architecture, { a: 1, b: 0 }, 0.5);
    const model = createChurnModel(network, draft);
    const calibration = fitPlatt(model.logits(validRows), yOf(parts.valid));
    const calibrated = (rows: TableRow[]) =>
      Array.from(model.logits(rows), (z) => 1 / (1 + Math.exp(-(calibration.a * z + calibration.b))));
    const threshold = bestF1Threshold(calibrated(validRows), yOf(parts.valid));
    return {
      architecture,
      network,
      validRocAuc,
      calibration,
      threshold,
      test: classify(calibrated(testRows), yOf(parts.test), threshold),
    };
  });
  for (const other of compared.slice(1)) other.network.dispose();
  const kept = compared[0];

  function manifestFor(architecture: ChurnArchitecture, calibration: { a: number; b: number }, threshold: number) {
    return {
      manifest_version: MANIFEST_VERSION,
      name: 'churn',
      version: options.version ?? 1,
      feature_schema_version: tabular.version,
      created_at: new Date().toISOString(),
      source: 'table',
      architecture,
      label,
      positive,
      tabular,
      calibration,
      threshold,
      metrics: {},
      shards: [],
    } satisfies ChurnManifest;
  }
  const { shards: _, ...manifest } = manifestFor(kept.architecture, kept.calibration, kept.threshold);
  manifest.metrics = {
    test: kept.test,
    valid_roc_auc: kept.validRocAuc,
    choice,
    compared: Object.fromEntries(compared.map((c) => [c.architecture, { valid_roc_auc: c.validRocAuc, test: c.test }])),
  };
  return {
    network: kept.network,
    manifest,
    compared: compared.map(({ architecture, validRocAuc, test }) => ({ architecture, validRocAuc, test })),
    choice,
    rows: { train: parts.train.length, valid: parts.valid.length, test: parts.test.length },
  };
}
