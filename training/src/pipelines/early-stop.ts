/**
 * @module training/pipelines/early-stop — early stopping on validation loss for a Layers network,
 * as a callback that can sit next to others (`tf.callbacks.earlyStopping` cannot): training stops
 * after `patience` epochs without a gain of at least 1e-4; `best` is the lowest loss seen.
 */
import * as tf from '@tensorflow/tfjs';

export function earlyStop(
  network: tf.LayersModel,
  { patience = 6, onEpoch, onStop }: { patience?: number; onEpoch?: (epoch: number) => void; onStop?: () => void } = {},
) {
  const state = { best: Number.POSITIVE_INFINITY, epochs: 0 };
  let waited = 0;
  const callback = new tf.CustomCallback({
    onEpochEnd: async (epoch: number, logs?: tf.Logs) => {
      state.epochs = epoch + 1;
      onEpoch?.(epoch);
      const loss = logs?.val_loss ?? Number.POSITIVE_INFINITY;
      if (loss < state.best - 1e-4) {
        state.best = loss;
        waited = 0;
      } else if (++waited >= patience) {
        network.stopTraining = true;
        onStop?.();
      }
    },
  });
  return { callback, state };
}
