/**
 * @module shared-models/models/churn/model — scores rows with a loaded churn network: encode with
 * the manifest's fitted parameters, calibrate the logit, flag at the chosen threshold, and explain
 * each score by switching one column at a time to its average and watching the logit move.
 */
import * as tf from '@tensorflow/tfjs';
import { columnSpans, encodeRows, inputSize, type TableRow } from '../../features/tabular';
import { churnStory } from './story';
import type { ChurnManifest, ChurnScore, Reason } from './types';

export interface ChurnModel {
  readonly manifest: ChurnManifest;
  /** The network's raw logits for `rows`, before calibration. */
  logits(rows: readonly TableRow[]): Float32Array;
  score(rows: readonly TableRow[], reasons?: number): ChurnScore[];
  dispose(): void;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** Rows per forward pass when explaining: each row becomes one copy per column. */
const CHUNK = 256;

export function createChurnModel(network: tf.LayersModel, manifest: ChurnManifest): ChurnModel {
  const size = inputSize(manifest.tabular);
  const spans = columnSpans(manifest.tabular);
  const forward = (inputs: Float32Array, n: number): Float32Array =>
    tf.tidy(() => (network.predict(tf.tensor2d(inputs, [n, size])) as tf.Tensor).dataSync() as Float32Array);

  const logits = (rows: readonly TableRow[]) =>
    rows.length ? forward(encodeRows(manifest.tabular, rows), rows.length) : new Float32Array();

  const fromEvents = manifest.source === 'events';
  return {
    manifest,
    logits,
    score(rows, reasons = 3) {
      const { a, b } = manifest.calibration;
      const out: ChurnScore[] = [];
      for (let start = 0; start < rows.length; start += CHUNK) {
        const chunk = rows.slice(start, start + CHUNK);
        const x = encodeRows(manifest.tabular, chunk);
        // Row r's copies: the row itself, then the row with each column switched to its average
        // (0 after standardising; no category at all for a categorical column).
        const copies = spans.length + 1;
        const variants = new Float32Array(chunk.length * copies * size);
        for (let r = 0; r < chunk.length; r++) {
          const row = x.subarray(r * size, (r + 1) * size);
          for (let c = 0; c < copies; c++) {
            const at = (r * copies + c) * size;
            variants.set(row, at);
            if (c > 0) variants.fill(0, at + spans[c - 1].start, at + spans[c - 1].start + spans[c - 1].width);
          }
        }
        const z = forward(variants, chunk.length * copies);
        chunk.forEach((row, r) => {
          const own = z[r * copies];
          const probability = sigmoid(a * own + b);
          const effects: Reason[] = spans
            .map((span, c) => ({
              feature: span.name,
              value: row[span.name]?.trim() ?? '',
              effect: a * (own - z[r * copies + c + 1]),
            }))
            .filter((e) => e.effect > 0)
            .sort((p, q) => q.effect - p.effect)
            // In words where the columns are the behaviour features (a model trained from events);
            // a customer table's own columns keep their name and value.
            .map((e): Reason => (fromEvents ? { ...e, text: churnStory(e.feature, row) } : e))
            // Two columns can tell one story (the last order and the rhythm of orders): told once.
            .filter((e, i, all) => e.text === undefined || all.findIndex((o) => o.text === e.text) === i)
            .slice(0, reasons);
          out.push({ probability, flagged: probability >= manifest.threshold, reasons: effects });
        });
      }
      return out;
    },
    dispose() {
      network.dispose();
    },
  };
}
