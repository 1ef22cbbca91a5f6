/**
 * @module training/pipelines/fit-layers — how the Layers networks (churn, anomaly) are fitted:
 * seeded, and stopped early on validation loss.
 *
 * TF.js's own `shuffle: true` draws from `Math.random`, so two runs with the same `--seed` trained
 * different networks. `fitSeeded` fits one epoch at a time, each over the training rows in an order
 * drawn from the seed (a new order every epoch, as `shuffle` would), with TF.js's shuffle off: the
 * same seed, the same network, on one backend. Early stopping is a callback that can sit next to
 * others (`tf.callbacks.earlyStopping` cannot): training stops after `patience` epochs without a
 * gain of at least 1e-4; `best` is the lowest loss seen. With `restoreBest` the network ends with
 * the weights of that epoch (as Keras's `restore_best_weights`), not those of the `patience` epochs
 * after it: what stopping early is for, and on Online Retail's churn it halved the spread over seeds.
 */
import { random, shuffleInPlace } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';

function earlyStop(
  network: tf.LayersModel,
  {
    patience = 6,
    restoreBest = false,
    onEpoch,
    onStop,
  }: { patience?: number; restoreBest?: boolean; onEpoch?: (epoch: number) => void; onStop?: () => void } = {},
) {
  const state: { best: number; epochs: number; stopped: boolean; weights?: tf.Tensor[] } = {
    best: Number.POSITIVE_INFINITY,
    epochs: 0,
    stopped: false,
  };
  let waited = 0;
  const callback = new tf.CustomCallback({
    onEpochEnd: async (epoch: number, logs?: tf.Logs) => {
      state.epochs = epoch + 1;
      onEpoch?.(epoch);
      const loss = logs?.val_loss ?? Number.POSITIVE_INFINITY;
      if (loss < state.best - 1e-4) {
        state.best = loss;
        waited = 0;
        if (restoreBest) {
          tf.dispose(state.weights);
          state.weights = network.getWeights().map((w) => w.clone());
        }
      } else if (++waited >= patience) {
        network.stopTraining = true;
        state.stopped = true;
        onStop?.();
      }
    },
  });
  return { callback, state };
}

/** A permutation of 0…n-1 drawn from `rnd`. */
const permutation = (n: number, rnd: () => number) =>
  shuffleInPlace(
    Int32Array.from({ length: n }, (_, i) => i),
    rnd,
  );

export interface SeededFitOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  validationData: [tf.Tensor, tf.Tensor];
  classWeight?: tf.ClassWeight;
  patience?: number;
  /** End with the weights of the epoch of the lowest validation loss. */
  restoreBest?: boolean;
  onEpoch?: (epoch: number) => void;
  onStop?: () => void;
}

/** Fits `network` on `x` → `y`, the rows in a seeded order each epoch, stopping early on validation loss. */
export async function fitSeeded(
  network: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  options: SeededFitOptions,
): Promise<{ best: number; epochs: number }> {
  const stop = earlyStop(network, options);
  const rnd = random(options.seed);
  try {
    for (let epoch = 0; epoch < options.epochs && !stop.state.stopped; epoch++) {
      const order = tf.tensor1d(permutation(x.shape[0], rnd), 'int32');
      const xs = tf.gather(x, order);
      const ys = tf.gather(y, order);
      try {
        await network.fit(xs, ys, {
          initialEpoch: epoch,
          epochs: epoch + 1,
          batchSize: options.batchSize,
          shuffle: false,
          validationData: options.validationData,
          classWeight: options.classWeight,
          verbose: 0,
          callbacks: stop.callback,
        });
      } finally {
        tf.dispose([order, xs, ys]);
      }
    }
    if (stop.state.weights) network.setWeights(stop.state.weights);
  } finally {
    tf.dispose(stop.state.weights);
  }
  return { best: stop.state.best, epochs: stop.state.epochs };
}
