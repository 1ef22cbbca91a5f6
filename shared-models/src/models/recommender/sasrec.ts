/**
 * @module shared-models/models/recommender/sasrec — a self-attentive sequential recommender (Kang &
 * McAuley, SASRec, 2018) with the event type as a second input: causal self-attention over the
 * shopper's last `maxLen` items, scored against every item by the shared item embedding.
 * Written with TF.js ops and variables (no Layers), so the same code trains on wasm and runs in
 * the browser's worker on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { embed } from './embedding';

export interface SasRecConfig {
  /** Item vocabulary size, the padding / unknown index 0 included. */
  items: number;
  /** Event type vocabulary size, index 0 for padding and unknown types. */
  types: number;
  maxLen: number;
  dim: number;
  blocks: number;
  dropout: number;
}

export const DEFAULT_SASREC: Omit<SasRecConfig, 'items' | 'types'> = { maxLen: 50, dim: 64, blocks: 2, dropout: 0.2 };

/** Weights by name (`weightShapes`): variables while training, plain tensors once loaded. */
export type SasRecWeights = Record<string, tf.Tensor>;

/** Names and shapes of every weight, in a fixed order (the order they are exported in). */
export function weightShapes(c: SasRecConfig): [string, number[]][] {
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

/** Fresh weights: small normal embeddings, Glorot-uniform matrices, unit layer-norm gains. */
export function initWeights(c: SasRecConfig, seed = 1): Record<string, tf.Variable> {
  const weights: Record<string, tf.Variable> = {};
  let s = seed;
  for (const [name, shape] of weightShapes(c)) {
    const value = tf.tidy(() => {
      if (name.endsWith('gamma')) return tf.ones(shape);
      if (name.endsWith('beta') || /_b\d$/.test(name)) return tf.zeros(shape);
      if (name.endsWith('embedding')) return tf.randomNormal(shape, 0, 0.05, 'float32', s++);
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      return tf.randomUniform(shape, -limit, limit, 'float32', s++);
    });
    weights[name] = tf.variable(value, true);
    value.dispose();
  }
  return weights;
}

/**
 * `a · b` for 2-D tensors, with a backward pass built from explicit transposes: TF.js's own
 * gradient multiplies with transposed operands, a path the wasm backend runs about ten times
 * slower than transposing first (measured: 135 ms against 16 ms for 6,400 × 64 by 64 × 256).
 */
const matMul2d = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
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
 * left-padded with 0). Dropout only when `training`.
 */
export function encode(
  w: SasRecWeights,
  c: SasRecConfig,
  items: tf.Tensor2D,
  types: tf.Tensor2D,
  training: boolean,
): tf.Tensor3D {
  const [batch, len] = items.shape;
  const drop = (t: tf.Tensor) => (training && c.dropout > 0 ? tf.dropout(t, c.dropout) : t);
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

/**
 * Mean cross-entropy of the next item at every position whose target is not padding. With
 * `negatives`, a sampled softmax: the target against those items (shared by the batch, any that
 * equal a position's target left out there), which costs a fraction of scoring the whole catalogue;
 * without, the full softmax.
 */
export function sequenceLoss(
  w: SasRecWeights,
  c: SasRecConfig,
  items: tf.Tensor2D,
  types: tf.Tensor2D,
  targets: tf.Tensor2D,
  negatives?: tf.Tensor1D,
): tf.Scalar {
  const [batch, len] = items.shape;
  const h = encode(w, c, items, types, true).reshape([batch * len, c.dim]) as tf.Tensor2D;
  const flatTargets = targets.reshape([-1]) as tf.Tensor1D;
  const valid = tf.notEqual(flatTargets, 0).toFloat();
  let picked: tf.Tensor;
  if (negatives) {
    const positive = h.mul(embed(w.item_embedding as tf.Tensor2D, flatTargets)).sum(-1, true); // [N, 1]
    const hits = tf.equal(flatTargets.expandDims(1), negatives.expandDims(0)).toFloat().mul(-1e9);
    const negative = matMul2d(h, tf.transpose(embed(w.item_embedding as tf.Tensor2D, negatives))).add(hits);
    picked = tf
      .logSoftmax(tf.concat([positive, negative], 1))
      .slice([0, 0], [-1, 1])
      .reshape([-1]);
  } else {
    picked = tf
      .oneHot(flatTargets, c.items)
      .mul(tf.logSoftmax(itemScores(w, h)))
      .sum(-1);
  }
  return picked.mul(valid).sum().neg().div(valid.sum().maximum(1)) as tf.Scalar;
}

/**
 * A loaded model's weights made ready for `encodeLast`: the attention scale folded into the query
 * weights, and per-length constants (position rows, causal mask) built once and kept.
 */
export interface InferenceWeights {
  readonly w: SasRecWeights;
  readonly c: SasRecConfig;
  /** Position rows and the causal mask for a history of `len` items. */
  forLength(len: number): { positions: tf.Tensor2D; causal: tf.Tensor2D };
  /** For `len` items left-padded to the window: what every row may not see ([maxLen, maxLen]), and the last row ([1, maxLen]). */
  forPadded(len: number): { all: tf.Tensor2D; last: tf.Tensor2D };
  scaledQuery(block: number): tf.Tensor2D;
  readonly constants: { sqrtDim: tf.Scalar; eps: tf.Scalar };
  dispose(): void;
}

export function prepareInference(w: SasRecWeights, c: SasRecConfig): InferenceWeights {
  const keep = <T extends tf.Tensor>(f: () => T) => tf.keep(tf.tidy(f));
  const queries = Array.from({ length: c.blocks }, (_, b) =>
    keep(() => w[`b${b}_wq`].div(Math.sqrt(c.dim)) as tf.Tensor2D),
  );
  const constants = { sqrtDim: keep(() => tf.scalar(Math.sqrt(c.dim))), eps: keep(() => tf.scalar(1e-8)) };
  const byLength = new Map<number, { positions: tf.Tensor2D; causal: tf.Tensor2D }>();
  const padded = new Map<number, { all: tf.Tensor2D; last: tf.Tensor2D }>();
  return {
    w,
    c,
    constants,
    scaledQuery: (b) => queries[b],
    forLength(len) {
      let found = byLength.get(len);
      if (!found) {
        const mask = new Float32Array(len * len);
        for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) mask[i * len + j] = -1e9;
        found = {
          positions: keep(() => w.position_embedding.slice([c.maxLen - len, 0], [len, c.dim]) as tf.Tensor2D),
          causal: keep(() => tf.tensor2d(mask, [len, len])),
        };
        byLength.set(len, found);
      }
      return found;
    },
    forPadded(len) {
      let found = padded.get(len);
      if (!found) {
        const n = c.maxLen;
        const all = new Float32Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j > i || j < n - len) all[i * n + j] = -1e9;
        found = {
          all: keep(() => tf.tensor2d(all, [n, n])),
          last: keep(() => tf.tensor2d(all.subarray((n - 1) * n), [1, n])),
        };
        padded.set(len, found);
      }
      return found;
    },
    dispose() {
      tf.dispose([...queries, constants.sqrtDim, constants.eps]);
      for (const { positions, causal } of byLength.values()) tf.dispose([positions, causal]);
      for (const { all, last } of padded.values()) tf.dispose([all, last]);
      byLength.clear();
      padded.clear();
    },
  };
}

/**
 * The hidden state after one history (item and type indexes, oldest first, every item known, at
 * most `maxLen`), [1, dim]: `encode`'s last position with only the work that position needs — the
 * last block's attention and feed-forward for that one row, fused bias and activation (a batch of
 * one costs kernel launches, not arithmetic). Unpadded by default; `fixedShape` pads to the window
 * for backends that compile a program per shape (WebGL, WebGPU). Tested equal to `encode`.
 */
export function encodeLast(
  p: InferenceWeights,
  items: readonly number[],
  types: readonly number[],
  fixedShape = false,
): tf.Tensor2D {
  const { w, c, constants } = p;
  return tf.tidy(() => {
    const len = fixedShape ? c.maxLen : items.length;
    const pad = (xs: readonly number[]) => (fixedShape ? [...new Array(len - xs.length).fill(0), ...xs] : [...xs]);
    const masks = fixedShape ? p.forPadded(items.length) : undefined;
    const { positions, causal } = fixedShape
      ? { positions: w.position_embedding, causal: undefined }
      : p.forLength(len);
    const norm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const centred = x.sub(x.mean(-1, true));
      return centred.mul(centred.square().mean(-1, true).add(constants.eps).rsqrt()).mul(gamma).add(beta);
    };
    let x: tf.Tensor = tf
      .gather(w.item_embedding, tf.tensor1d(pad(items), 'int32'))
      .mul(constants.sqrtDim)
      .add(positions)
      .add(tf.gather(w.type_embedding, tf.tensor1d(pad(types), 'int32')));
    for (let b = 0; b < c.blocks; b++) {
      const last = b === c.blocks - 1;
      const at = (n: string) => w[`b${b}_${n}`];
      // Keys and values read every position; the last block asks for the last position only.
      const rows = last && len > 1 ? x.slice([len - 1, 0], [1, c.dim]) : x;
      const q = norm(rows, at('ln1_gamma'), at('ln1_beta')) as tf.Tensor2D;
      const scores = tf.matMul(
        tf.matMul(q, p.scaledQuery(b)),
        tf.matMul(x as tf.Tensor2D, at('wk') as tf.Tensor2D),
        false,
        true,
      );
      // What a row may not see: later positions (but the last row sees all) and, padded, the padding.
      const blocked = masks ? (last ? masks.last : masks.all) : last ? undefined : causal;
      const attention = tf.softmax(blocked ? scores.add(blocked) : scores);
      const attended = q.add(tf.matMul(attention, tf.matMul(x as tf.Tensor2D, at('wv') as tf.Tensor2D)));
      const f = norm(attended, at('ln2_gamma'), at('ln2_beta')) as tf.Tensor2D;
      const hidden = tf.fused.matMul({ a: f, b: at('w1') as tf.Tensor2D, bias: at('b1'), activation: 'relu' });
      x = f.add(tf.fused.matMul({ a: hidden, b: at('w2') as tf.Tensor2D, bias: at('b2') }));
    }
    const lastRow = c.blocks ? x : x.slice([len - 1, 0], [1, c.dim]);
    return norm(lastRow, w.final_gamma, w.final_beta) as tf.Tensor2D;
  });
}
