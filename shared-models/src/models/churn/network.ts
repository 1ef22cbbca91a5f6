/** @module shared-models/models/churn/network — the two networks: logistic regression and a small MLP, both ending in one logit. */
import * as tf from '@tensorflow/tfjs';
import type { ChurnArchitecture } from './types';

/** L2 penalty on the weights: keeps one-hot columns with few rows from taking extreme weights. */
const L2 = 1e-4;

export function churnNetwork(inputs: number, architecture: ChurnArchitecture, seed = 1): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const layers =
    architecture === 'logistic'
      ? [
          tf.layers.dense({
            inputShape: [inputs],
            units: 1,
            kernelInitializer: init(0),
            kernelRegularizer: tf.regularizers.l2({ l2: L2 }),
          }),
        ]
      : [
          tf.layers.dense({
            inputShape: [inputs],
            units: 32,
            activation: 'relu',
            kernelInitializer: init(0),
            kernelRegularizer: tf.regularizers.l2({ l2: L2 }),
          }),
          tf.layers.dropout({ rate: 0.2, seed }),
          tf.layers.dense({ units: 1, kernelInitializer: init(1), kernelRegularizer: tf.regularizers.l2({ l2: L2 }) }),
        ];
  return tf.sequential({ layers });
}
