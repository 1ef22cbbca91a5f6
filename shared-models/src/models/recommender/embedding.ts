/**
 * @module shared-models/models/recommender/embedding — an embedding lookup that trains on every
 * backend. TF.js's own gather gradient needs `UnsortedSegmentSum`, which the wasm backend lacks
 * (../shared/WEBGPU.md); here the backward pass is a scatter-add of the upstream gradient
 * (`scatterND` sums rows that share an index), which wasm, WebGL, WebGPU and cpu all have.
 */
import * as tf from '@tensorflow/tfjs';

/** Rows of `table` ([vocab, d]) at `ids` (int32, any shape): shape [...ids.shape, d]. */
export function embed(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const [vocab, d] = table.shape;
  const flat = ids.reshape([-1]) as tf.Tensor1D;
  const lookup = tf.customGrad(((t: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([flat]);
    return {
      value: tf.gather(t, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0].reshape([-1, 1]), dy, [vocab, d]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return lookup(table).reshape([...ids.shape, d]);
}
