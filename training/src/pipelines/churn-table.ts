/**
 * @module training/pipelines/churn-table — churn from a customer table: logistic regression and a
 * small MLP with class weights (and, given recency-frequency-money columns, the MLP averaged with a
 * logistic regression on those alone), the best on validation kept (the average unless clearly
 * beaten: `chooseChurn`), its logit calibrated (Platt) and its threshold chosen for F1 on
 * validation, then judged once on held-out test rows.
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
  pairedRocAuc,
  rocAuc,
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
   * Each row's period (its cut-off, in time order): the choice between the networks is made on the
   * validation rows of the latest period before the test rows, the nearest to where the model is used.
   */
  periods?: readonly number[];
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

/** A trained candidate as the choice sees it: its validation logits and their ROC-AUC. */
export interface Candidate {
  architecture: ChurnArchitecture;
  valid: ArrayLike<number>;
  validRocAuc: number;
}

/**
 * How many standard errors of the paired difference a single network must lead the average by,
 * on validation, to be kept instead of it: strong evidence, not a lead of the size noise gives.
 */
export const AVERAGE_KEPT_WITHIN = 3;

/**
 * Which candidate to keep, and why in words. The best on validation ROC-AUC, except that the
 * average (`mlp+rfm`) is kept unless a single network leads it there by more than
 * `AVERAGE_KEPT_WITHIN` standard errors of the difference (DeLong's, on the same validation rows).
 * Validation lies in the training period and the model is used in a later one: a choice estimated
 * on the past tends to lose to a plain average on the future (the forecast-combination puzzle). On
 * Online Retail's autumn validation preferred the MLP alone by 1.8–2.3 standard errors, and on the
 * autumn itself the MLP was the worse of the two on every seed (0.7409 against 0.7443), as in the
 * summer (0.7471 against 0.7509).
 */
export function chooseChurn(
  candidates: readonly Candidate[],
  labels: ArrayLike<number>,
): { kept: number; choice: string } {
  let best = 0;
  candidates.forEach((c, i) => {
    if (c.validRocAuc > candidates[best].validRocAuc) best = i;
  });
  const average = candidates.findIndex((c) => c.architecture === 'mlp+rfm');
  const name = candidates[best].architecture;
  if (average < 0 || average === best || candidates[average].validRocAuc === candidates[best].validRocAuc)
    return {
      kept: average < 0 ? best : average,
      choice: `${average < 0 ? name : 'mlp+rfm'}: the best validation ROC-AUC (${candidates[best].validRocAuc.toFixed(4)})`,
    };
  const { difference, standardError } = pairedRocAuc(candidates[best].valid, candidates[average].valid, labels);
  const lead = `${name} ahead of mlp+rfm on validation by ${difference.toFixed(4)}, ${(difference / standardError).toFixed(1)} standard errors of the difference`;
  return difference > AVERAGE_KEPT_WITHIN * standardError
    ? { kept: best, choice: `${name}: ${lead}` }
    : {
        kept: average,
        choice: `mlp+rfm: ${lead} (the average is kept unless led by more than ${AVERAGE_KEPT_WITHIN})`,
      };
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
  const trained: (Candidate & { network: tf.LayersModel; valid: Float32Array })[] = [];
  const validLogits = (network: tf.LayersModel, x: tf.Tensor) =>
    tf.tidy(() => Float32Array.from((network.predict(x) as tf.Tensor).dataSync()));
  const fit = async (n: number, kind: 'logistic' | 'mlp', inputs: number, xt: tf.Tensor, xv: tf.Tensor) => {
    const network = churnNetwork(inputs, kind, seed);
    network.compile({
      optimizer: tf.train.adam(kind === 'logistic' ? 0.02 : 0.005),
      loss: (yTrue: tf.Tensor, logit: tf.Tensor) => tf.losses.sigmoidCrossEntropy(yTrue, logit),
    });
    try {
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
    } catch (error) {
      network.dispose();
      throw error;
    } finally {
      // Its moment estimates are of no more use: the network is not trained further, and does not own them.
      network.optimizer.dispose();
    }
    return network;
  };
  const validY = yOf(parts.valid);
  const candidate = (architecture: ChurnArchitecture, network: tf.LayersModel) => {
    const valid = validLogits(network, xValid);
    trained.push({ architecture, network, valid, validRocAuc: rocAuc(valid, validY) });
  };
  let untried = rfm ? undefined : options.rfm?.length ? 'recency, frequency or money not among the columns' : undefined;
  try {
    for (const [n, architecture] of (['logistic', 'mlp'] as const).entries())
      candidate(architecture, await fit(n, architecture, size, xTrain, xValid));
    if (rfm) {
      const at = tf.tensor1d(rfmAt, 'int32');
      const [rfmTrain, rfmValid] = [tf.gather(xTrain, at, 1), tf.gather(xValid, at, 1)];
      try {
        const linear = await fit(2, 'logistic', rfmAt.length, rfmTrain, rfmValid);
        try {
          // Each member's logit over its spread on validation rows, so that each counts alike.
          const spreadOf = (z: Float32Array) => {
            const mean = z.reduce((s, v) => s + v, 0) / z.length;
            return Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
          };
          const deep = trained[1].network;
          const deepSpread = spreadOf(trained[1].valid);
          const linearSpread = spreadOf(validLogits(linear, rfmValid));
          // A member that gives every row the same logit (recency, frequency and money the same for
          // everyone: visits, and nobody bought) has nothing to add.
          if (linearSpread > 1e-6 && deepSpread > 1e-6)
            candidate(
              'mlp+rfm',
              averageNetwork(
                size,
                { network: deep, scale: deepSpread },
                { network: linear, columns: rfmAt, scale: linearSpread },
              ),
            );
          else untried = `the ${linearSpread > 1e-6 ? 'MLP' : 'RFM regression'} gives every row the same score`;
        } finally {
          linear.dispose();
        }
      } finally {
        tf.dispose([at, rfmTrain, rfmValid]);
      }
    }
  } catch (error) {
    for (const t of trained) t.network.dispose();
    throw error;
  } finally {
    tf.dispose([xTrain, yTrain, xValid, yValid]);
  }
  // The choice on the validation rows of the latest period (all of them without periods, or where
  // the latest holds fewer than 10 of either class).
  const periodOf = (i: number) => options.periods?.[i] ?? 0;
  const latest = parts.valid.reduce((m, i) => Math.max(m, periodOf(i)), Number.NEGATIVE_INFINITY);
  const recent = parts.valid.flatMap((i, k) => (periodOf(i) === latest ? [k] : []));
  const recentPositives = recent.reduce((n, k) => n + validY[k], 0);
  const chosen =
    recent.length === parts.valid.length || Math.min(recentPositives, recent.length - recentPositives) < 10
      ? chooseChurn(trained, validY)
      : chooseChurn(
          trained.map((t) => {
            const valid = recent.map((k) => t.valid[k]);
            return {
              ...t,
              valid,
              validRocAuc: rocAuc(
                valid,
                recent.map((k) => validY[k]),
              ),
            };
          }),
          recent.map((k) => validY[k]),
        );
  const choice = untried ? `${chosen.choice} (mlp+rfm not tried: ${untried})` : chosen.choice;
  // The kept one first, the others by validation ROC-AUC.
  trained.unshift(...trained.splice(chosen.kept, 1));
  trained.push(...trained.splice(1).sort((a, b) => b.validRocAuc - a.validRocAuc));

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
