/**
 * @module shared-models/models/recommender/sasrec — a self-attentive sequential recommender (Kang &
 * McAuley, SASRec, 2018) with the event type as a second input: causal self-attention over the
 * shopper's last `maxLen` items, scored against every item by the shared item embedding.
 * Written with TF.js ops and variables (no Layers), so the same code trains on wasm and runs in
 * the browser's worker on any backend. Here: the configuration, the weights' names and shapes, and
 * the forward pass both sides use; training alone (`initWeights`, `sequenceLoss`) is in `./sasrec-train`,
 * the device's one-history hot path (`prepareInference`, `encodeLast`) in `./sasrec-infer`.
 */
import * as tf from '@tensorflow/tfjs';
import { embed } from './embedding';

export interface SasRecConfig {
  /** Which network reads the history (absent: SASRec, as in every model before there was a choice). */
  arch?: Arch;
  /** Item vocabulary size, the padding / unknown index 0 included. */
  items: number;
  /** Event type vocabulary size, index 0 for padding and unknown types. */
  types: number;
  maxLen: number;
  dim: number;
  blocks: number;
  dropout: number;
  /** LightGCN only: how much less each earlier distinct item of the history weighs (absent: 1, none). */
  decay?: number;
}

/**
 * The networks a recommender may read the history with: SASRec, SR-GNN's session graph (`./srgnn`),
 * or LightGCN's graph embeddings of the shoppers–items graph (`./lightgcn`).
 */
export type Arch = 'sasrec' | 'srgnn' | 'lightgcn';
export const ARCHS: readonly Arch[] = ['sasrec', 'srgnn', 'lightgcn'];

export const DEFAULT_SASREC: Omit<SasRecConfig, 'items' | 'types'> = { maxLen: 50, dim: 64, blocks: 2, dropout: 0.2 };

/** Weights by name (`weightShapes`): variables while training, plain tensors once loaded. */
export type SasRecWeights = Record<string, tf.Tensor>;

/** Names and shapes of SASRec's weights, in a fixed order (the order they are exported in). */
export function sasrecShapes(c: SasRecConfig): [string, number[]][] {
  const shapes: [string, number[]][] = [
    ['item_embedding', [c.items, c.dim]],
    ['position_embedding', [c.maxLen, c.dim]],
    ['type_embedding', [c.types, c.dim]],
  ];
  for (let b = 0; b < c.blocks; b++) {
    shapes.push(
      [`b${b}_ln1_gamma`, [c.dim]],
      [`b${b}_ln1_beta`, [c.dim]],
      [`b${b}_wq`, [c.dim, c.dim]],
      [`b${b}_wk`, [c.dim, c.dim]],
      [`b${b}_wv`, [c.dim, c.dim]],
      [`b${b}_ln2_gamma`, [c.dim]],
      [`b${b}_ln2_beta`, [c.dim]],
      [`b${b}_w1`, [c.dim, c.dim]],
      [`b${b}_b1`, [c.dim]],
      [`b${b}_w2`, [c.dim, c.dim]],
      [`b${b}_b2`, [c.dim]],
    );
  }
  shapes.push(['final_gamma', [c.dim]], ['final_beta', [c.dim]]);
  return shapes;
}

/**
 * `a · b` for 2-D tensors, with a backward pass built from explicit transposes: TF.js's own
 * gradient multiplies with transposed operands, a path the wasm backend runs about ten times
 * slower than transposing first (measured: 135 ms against 16 ms for 6,400 × 64 by 64 × 256).
 */
export const matMul2d = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, [x, y]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(y)),
      tf.matMul(tf.transpose(x), dy as tf.Tensor2D),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(1e-8)))
    .mul(gamma)
    .add(beta);
}

/**
 * The hidden state at every position, [B, L, dim], for item and type indexes [B, L] (int32,
 * left-padded with 0). Dropout only when `training`, its masks drawn from `seeds` when given (a
 * new seed for every mask: the same run, the same masks).
 */
export function encode(
  w: SasRecWeights,
  c: SasRecConfig,
  items: tf.Tensor2D,
  types: tf.Tensor2D,
  training: boolean,
  seeds?: () => number,
): tf.Tensor3D {
  const [batch, len] = items.shape;
  const drop = (t: tf.Tensor) => (training && c.dropout > 0 ? tf.dropout(t, c.dropout, undefined, seeds?.()) : t);
  const mask = tf.notEqual(items, 0).toFloat().expandDims(-1); // [B, L, 1]
  let x = embed(w.item_embedding as tf.Tensor2D, items)
    .mul(Math.sqrt(c.dim))
    .add(w.position_embedding.slice([c.maxLen - len, 0], [len, c.dim]))
    .add(embed(w.type_embedding as tf.Tensor2D, types));
  x = drop(x).mul(mask);
  // Position i may look at positions up to i, and never at padding.
  const causal = tf.linalg.bandPart(tf.ones([len, len]), -1, 0);
  const keys = tf.notEqual(items, 0).toFloat().expandDims(1); // [B, 1, L]
  const allowed = causal.expandDims(0).mul(keys); // [B, L, L]
  const blocked = tf.scalar(1).sub(allowed).mul(-1e9);
  for (let b = 0; b < c.blocks; b++) {
    const p = (n: string) => w[`b${b}_${n}`];
    const flat = (t: tf.Tensor) => t.reshape([batch * len, c.dim]);
    const back = (t: tf.Tensor) => t.reshape([batch, len, c.dim]);
    const q = layerNorm(x, p('ln1_gamma'), p('ln1_beta'));
    const Q = back(matMul2d(flat(q), p('wq')));
    const K = back(matMul2d(flat(x), p('wk')));
    const V = back(matMul2d(flat(x), p('wv')));
    const scores = tf.matMul(Q, K, false, true).div(Math.sqrt(c.dim)).add(blocked);
    const attention = drop(tf.softmax(scores, -1));
    x = q.add(tf.matMul(attention, V)).mul(mask);
    const f = layerNorm(x, p('ln2_gamma'), p('ln2_beta'));
    const hidden = tf.relu(matMul2d(flat(f), p('w1')).add(p('b1')));
    const out = back(drop(matMul2d(drop(hidden), p('w2')).add(p('b2'))));
    x = f.add(out).mul(mask);
  }
  return layerNorm(x, w.final_gamma, w.final_beta) as tf.Tensor3D;
}

/** Scores of every item, [N, items], for hidden states [N, dim]: the dot product with each item's embedding. */
export const itemScores = (w: SasRecWeights, hidden: tf.Tensor2D): tf.Tensor2D =>
  matMul2d(hidden, tf.transpose(w.item_embedding));
