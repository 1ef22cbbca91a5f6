/**
 * @module shared-models/models/recommender/sasrec-train — what only training needs: fresh weights
 * and the next-item loss (full or sampled softmax) over `encode`'s hidden states. The device never
 * imports this file.
 */
import * as tf from '@tensorflow/tfjs';
import { embed } from './embedding';
import { encodeHistories, weightShapes } from './encoder';
import { lightgcnGraph, propagate } from './lightgcn';
import { encode, itemScores, matMul2d, type SasRecConfig, type SasRecWeights } from './sasrec';

/** Fresh weights: small normal embeddings, Glorot-uniform matrices, unit layer-norm gains. */
export function initWeights(c: SasRecConfig, seed = 1): Record<string, tf.Variable> {
  const weights: Record<string, tf.Variable> = {};
  let s = seed;
  for (const [name, shape] of weightShapes(c)) {
    const value = tf.tidy(() => {
      if (name.endsWith('gamma')) return tf.ones(shape);
      if (name.endsWith('beta') || name.endsWith('bias') || /_b\d$/.test(name)) return tf.zeros(shape);
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
 * Mean cross-entropy of the next item at every position whose target is not padding. With
 * `negatives`, a sampled softmax: the target against those items (shared by the batch, any that
 * equal a position's target left out there), which costs a fraction of scoring the whole catalogue;
 * without, the full softmax. `seeds` draws each dropout mask's seed (see `encode`).
 */
export function sequenceLoss(
  w: SasRecWeights,
  c: SasRecConfig,
  items: tf.Tensor2D,
  types: tf.Tensor2D,
  targets: tf.Tensor2D,
  negatives?: tf.Tensor1D,
  seeds?: () => number,
): tf.Scalar {
  const [batch, len] = items.shape;
  const h = encode(w, c, items, types, true, seeds).reshape([batch * len, c.dim]) as tf.Tensor2D;
  return nextItemLoss(w, c, h, targets.reshape([-1]) as tf.Tensor1D, negatives);
}

/**
 * The same loss for a network that gives one state per history (SR-GNN): each history's next item
 * (`targets`, one per history) against the rest, its states computed with dropout.
 */
export function historyLoss(
  w: SasRecWeights,
  c: SasRecConfig,
  histories: readonly (readonly number[])[],
  types: readonly (readonly number[])[],
  targets: tf.Tensor1D,
  negatives?: tf.Tensor1D,
  seeds?: () => number,
): tf.Scalar {
  return nextItemLoss(w, c, encodeHistories(w, c, histories, types, true, seeds), targets, negatives);
}

/** Mean cross-entropy of each state's target (0: none), full or sampled softmax. */
function nextItemLoss(
  w: SasRecWeights,
  c: SasRecConfig,
  h: tf.Tensor2D,
  flatTargets: tf.Tensor1D,
  negatives?: tf.Tensor1D,
): tf.Scalar {
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

/** LightGCN in training: the base embeddings it learns, and the shipped weights they propagate to. */
export interface LightGcnTraining {
  /** What the model scores with: the propagated item embedding (not trained directly). */
  weights: Record<string, tf.Variable>;
  /** The base embeddings E0, the one trainable tensor. */
  base: tf.Variable;
  /** The shipped weights as a differentiable function of `base` (for the loss). */
  propagated(): SasRecWeights;
  /** Sets `weights.item_embedding` to what `base` propagates to now (before validation, and at the end). */
  refresh(): void;
  dispose(): void;
}

/** Fresh LightGCN weights over the graph of the training `histories` (`c.blocks` hops). */
export function initLightGcn(c: SasRecConfig, histories: readonly (readonly number[])[], seed = 1): LightGcnTraining {
  const graph = lightgcnGraph(histories, c.items);
  const variable = (value: tf.Tensor, trainable: boolean) => {
    const v = tf.variable(value, trainable);
    value.dispose();
    return v;
  };
  const base = variable(tf.randomNormal([c.items, c.dim], 0, 0.05, 'float32', seed), true);
  const weights = { item_embedding: variable(tf.zeros([c.items, c.dim]), false) };
  const propagated = () => ({ item_embedding: propagate(base as tf.Tensor2D, graph, c.blocks) });
  const refresh = () => {
    const p = tf.tidy(() => propagate(base as tf.Tensor2D, graph, c.blocks));
    weights.item_embedding.assign(p);
    p.dispose();
  };
  refresh();
  return { weights, base, propagated, refresh, dispose: () => base.dispose() };
}
