/**
 * @module shared-models/models/churn/network — the networks, each ending in one logit: logistic
 * regression, a small MLP, and the two averaged (`mlp+rfm`: the MLP over every column beside a
 * logistic regression over recency, frequency and money alone, as one network the device reads
 * like any other).
 */
import * as tf from '@tensorflow/tfjs';

/** L2 penalty on the weights: keeps one-hot columns with few rows from taking extreme weights. */
const L2 = 1e-4;

export function churnNetwork(inputs: number, architecture: 'logistic' | 'mlp', seed = 1): tf.Sequential {
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

/** A trained member of an average: its network, the input columns it reads, and what its logit is divided by. */
export interface Member {
  network: tf.LayersModel;
  /** Positions in the full input of the columns the network reads, in its order; all when absent. */
  columns?: readonly number[];
  scale: number;
}

/**
 * One network whose logit is the sum of each member's logit divided by its scale (its spread, so
 * that neither drowns the other): the MLP's layers as they are, a member on some columns as one
 * dense layer over every input with zeros where it does not read. Inference only: no dropout.
 */
export function averageNetwork(inputs: number, deep: Member, linear: Member): tf.LayersModel {
  const deepWeights = deep.network.getWeights();
  const [k1, b1, k2, b2] = deepWeights;
  if (deepWeights.length !== 4 || k1.shape[0] !== inputs || k2.shape[1] !== 1)
    throw new Error('the deep member is not an MLP of this input with one logit');
  const linearWeights = linear.network.getWeights();
  const [k, b] = linearWeights;
  const columns = linear.columns ?? [...Array(inputs).keys()];
  if (
    linearWeights.length !== 2 ||
    k.shape[0] !== columns.length ||
    k.shape[1] !== 1 ||
    new Set(columns).size !== columns.length ||
    columns.some((at) => !Number.isInteger(at) || at < 0 || at >= inputs)
  )
    throw new Error('the linear member does not read these columns with one logit');
  for (const scale of [deep.scale, linear.scale])
    if (!(Number.isFinite(scale) && scale > 0))
      throw new Error(`a member's scale must be a positive number, not ${scale}`);
  const read = k.dataSync();
  const kernel = new Float32Array(inputs);
  columns.forEach((at, i) => {
    kernel[at] = read[i] / linear.scale;
  });
  const made = [
    tf.div(k2, deep.scale),
    tf.div(b2, deep.scale),
    tf.tensor2d(kernel, [inputs, 1]),
    tf.div(b, linear.scale),
  ];
  try {
    const input = tf.input({ shape: [inputs] });
    const hidden = tf.layers.dense({ units: k1.shape[1] as number, activation: 'relu', weights: [k1, b1] });
    const deepOut = tf.layers.dense({ units: 1, weights: made.slice(0, 2) });
    const linearOut = tf.layers.dense({ units: 1, weights: made.slice(2) });
    const out = tf.layers
      .add()
      .apply([
        deepOut.apply(hidden.apply(input)) as tf.SymbolicTensor,
        linearOut.apply(input) as tf.SymbolicTensor,
      ]) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
  } finally {
    tf.dispose(made);
  }
}
