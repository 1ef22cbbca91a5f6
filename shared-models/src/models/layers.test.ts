/** The Layers format (churn, anomaly): a network written and read back gives the same outputs. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { anomalyNetwork } from './anomaly/model';
import { churnNetwork } from './churn/network';
import { decodeLayers, encodeLayers } from './layers';

// The CPU backend in Node prints a banner asking for tfjs-node (which cannot install here): not in the test output.
tf.env().set('PROD', true);

describe('the Layers format', () => {
  it.each([
    ['churn (MLP)', () => churnNetwork(5, 'mlp', 3)],
    ['anomaly (autoencoder)', () => anomalyNetwork(5, 3)],
  ])('reads back %s with the same outputs and nothing left behind', async (_name, make) => {
    const network = make();
    const files = await encodeLayers(network);
    expect(JSON.parse(new TextDecoder().decode(files.get('model.json'))).format).toBe('layers-model');
    const read = await decodeLayers(files);
    const x = tf.tensor2d([
      [0, 1, 2, 3, 4],
      [1, -1, 0.5, 0, 2],
    ]);
    const a = network.predict(x) as tf.Tensor;
    const b = read.predict(x) as tf.Tensor;
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    network.dispose();
    const before = tf.memory().numTensors;
    read.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});
