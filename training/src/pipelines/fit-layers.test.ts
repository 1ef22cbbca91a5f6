/** Seeded fitting with early stopping: the same seed gives the same network, and `restoreBest` ends on the best epoch. */

import { random } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend';
import { fitSeeded } from './fit-layers';

/** 40 noisy training rows and 40 validation rows of another rule: a wide network soon overfits. */
function data(seed: number) {
  const rnd = random(seed);
  const x = (n: number) => Array.from({ length: n }, () => Array.from({ length: 8 }, () => rnd() * 2 - 1));
  const train = x(40);
  const valid = x(40);
  return {
    xTrain: tf.tensor2d(train),
    yTrain: tf.tensor2d(train.map(() => [rnd() < 0.5 ? 1 : 0])),
    xValid: tf.tensor2d(valid),
    yValid: tf.tensor2d(valid.map((r) => [r[0] > 0 ? 1 : 0])),
  };
}

function network(seed: number) {
  const net = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [8],
        units: 64,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  net.compile({
    optimizer: tf.train.adam(0.05),
    loss: (y: tf.Tensor, z: tf.Tensor) => tf.losses.sigmoidCrossEntropy(y, z),
  });
  return net;
}

const validLoss = (net: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) =>
  tf.tidy(() => (net.evaluate(x, y, { batchSize: 128 }) as tf.Scalar).dataSync()[0]);

describe('fitSeeded', () => {
  beforeAll(() => useBackend('cpu'));

  it('ends on the epoch of the lowest validation loss with restoreBest, and after it without', async () => {
    const { xTrain, yTrain, xValid, yValid } = data(1);
    const options = {
      epochs: 60,
      batchSize: 8,
      seed: 5,
      validationData: [xValid, yValid] as [tf.Tensor, tf.Tensor],
      patience: 5,
    };
    const plain = network(3);
    const last = await fitSeeded(plain, xTrain, yTrain, options);
    const restored = network(3);
    const best = await fitSeeded(restored, xTrain, yTrain, { ...options, restoreBest: true });
    // The same seed, the same run: both stopped at the same epoch with the same best.
    expect(best).toEqual(last);
    expect(last.epochs).toBeLessThan(60);
    expect(validLoss(restored, xValid, yValid)).toBeCloseTo(best.best, 4);
    expect(validLoss(plain, xValid, yValid)).toBeGreaterThan(best.best + 1e-3);
    // No snapshot left behind: a run that restores leaves as many tensors as one that does not.
    const left = async (restoreBest: boolean) => {
      const before = tf.memory().numTensors;
      const net = network(3);
      await fitSeeded(net, xTrain, yTrain, { ...options, restoreBest });
      net.dispose();
      return tf.memory().numTensors - before;
    };
    expect(await left(true)).toBe(await left(false));
    tf.dispose([xTrain, yTrain, xValid, yValid]);
  });
});
