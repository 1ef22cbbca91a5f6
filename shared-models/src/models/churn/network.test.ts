/** The averaged network (`mlp+rfm`): one Layers network whose logit is each member's over its spread. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { decodeLayers, encodeLayers } from '../layers';
import { averageNetwork, churnNetwork } from './network';

tf.env().set('PROD', true);

describe('averageNetwork', () => {
  it("gives the MLP's logit over its scale plus the linear member's on its own columns, and reads back the same", async () => {
    const deep = churnNetwork(5, 'mlp', 3);
    const linear = churnNetwork(2, 'logistic', 4);
    // Columns 4 and 1 of the full input, in that order, are what the linear member reads.
    const average = averageNetwork(5, { network: deep, scale: 2 }, { network: linear, columns: [4, 1], scale: 0.5 });
    const x = tf.tensor2d([
      [0, 1, 2, 3, 4],
      [1, -1, 0.5, 0, 2],
      [-2, 0.3, 1, -1, 0],
    ]);
    const picked = tf.gather(x, tf.tensor1d([4, 1], 'int32'), 1);
    const expected = tf.tidy(() =>
      (deep.predict(x) as tf.Tensor).div(2).add((linear.predict(picked) as tf.Tensor).div(0.5)),
    );
    const got = average.predict(x) as tf.Tensor;
    const want = Array.from(await expected.data());
    for (const [i, v] of Array.from(await got.data()).entries()) expect(v).toBeCloseTo(want[i], 5);
    // The members can go: the average holds its own weights.
    deep.dispose();
    linear.dispose();
    const read = await decodeLayers(await encodeLayers(average));
    const again = read.predict(x) as tf.Tensor;
    for (const [i, v] of Array.from(await again.data()).entries()) expect(v).toBeCloseTo(want[i], 5);
    tf.dispose([x, picked, expected, got, again]);
    average.dispose();
    const before = tf.memory().numTensors;
    read.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('refuses members that do not fit the input', () => {
    const deep = churnNetwork(5, 'mlp', 3);
    const linear = churnNetwork(2, 'logistic', 4);
    expect(() =>
      averageNetwork(6, { network: deep, scale: 1 }, { network: linear, columns: [0, 1], scale: 1 }),
    ).toThrow(/not an MLP of this input with one logit/);
    for (const columns of [[0], [0, 0], [0, 5], [0, 1.5]])
      expect(() => averageNetwork(5, { network: deep, scale: 1 }, { network: linear, columns, scale: 1 })).toThrow(
        /does not read these columns/,
      );
    for (const scale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => averageNetwork(5, { network: deep, scale }, { network: linear, columns: [0, 1], scale: 1 })).toThrow(
        /scale must be a positive number/,
      );
    // A logistic regression is no MLP.
    expect(() => averageNetwork(2, { network: linear, scale: 1 }, { network: linear, scale: 1 })).toThrow(/not an MLP/);
    deep.dispose();
    linear.dispose();
  });
});
