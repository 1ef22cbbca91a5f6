/**
 * The SASRec network on the wasm backend the trainer uses: its embedding trains there, it learns
 * an order of items, and scoring leaves no tensor behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  embed,
  encode,
  initWeights,
  itemScores,
  type SasRecConfig,
  sequenceLoss,
} from '../shared-models/src/models/recommender';
import { createRecommenderModel, type RecommenderManifest } from '../shared-models/src/models/recommender/model';
import { random } from '../shared-models/src/util/random';
import { useBackend } from '../training/src/backend';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('embedding with its own gradient', () => {
  it('sums the upstream gradient into every row used, as often as it was used', () => {
    const table = tf.variable(tf.randomNormal([5, 3]));
    const ids = tf.tensor2d(
      [
        [1, 1],
        [2, 0],
      ],
      [2, 2],
      'int32',
    );
    const grad = tf.grad((t: tf.Tensor) => embed(t as tf.Tensor2D, ids).sum())(table);
    expect(grad.arraySync()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [1, 1, 1],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    tf.dispose([table, ids, grad]);
  });
});

describe('SASRec', () => {
  // Twenty items visited in a fixed cycle: after item k comes item k + 1.
  const N = 20;
  const config: SasRecConfig = { items: N + 1, types: 2, maxLen: 8, dim: 16, blocks: 1, dropout: 0 };
  const windows = Array.from({ length: 64 }, (_, s) => Array.from({ length: 9 }, (_, k) => ((s + k) % N) + 1));
  const tensors = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');

  it('learns what comes next, with a full and with a sampled softmax', () => {
    for (const sampled of [false, true]) {
      const w = initWeights(config, 7);
      const optimizer = tf.train.adam(0.01);
      const inputs = tensors(windows.map((s) => s.slice(0, -1)));
      const targets = tensors(windows.map((s) => s.slice(1)));
      const types = tf.onesLike(inputs) as tf.Tensor2D;
      const rnd = random(11);
      for (let step = 0; step < 80; step++) {
        // A fresh sample of eight negatives per step, as training draws them.
        const negatives = sampled
          ? tf.tensor1d(
              Array.from({ length: 8 }, () => 1 + Math.floor(rnd() * N)),
              'int32',
            )
          : undefined;
        const loss = optimizer.minimize(() => sequenceLoss(w, config, inputs, types, targets, negatives), true);
        tf.dispose(negatives ? [loss as tf.Scalar, negatives] : [loss as tf.Scalar]);
      }
      const before = tf.memory().numTensors;
      const next = tf.tidy(() => {
        const h = encode(w, config, inputs, types, false)
          .slice([0, config.maxLen - 1, 0], [-1, 1, -1])
          .reshape([windows.length, config.dim]);
        return Array.from((itemScores(w, h as tf.Tensor2D).argMax(-1) as tf.Tensor).dataSync());
      });
      expect(tf.memory().numTensors).toBe(before);
      const right = next.filter((item, i) => item === windows[i][8]).length;
      expect(right / windows.length, sampled ? 'sampled softmax' : 'full softmax').toBeGreaterThan(0.9);
      tf.dispose([inputs, targets, types, ...Object.values(w)]);
      optimizer.dispose();
    }
  });
});

describe('the recommender model', () => {
  it('leaves no tensor behind after scoring, embedding and dispose', () => {
    const before = tf.memory().numTensors;
    const config: SasRecConfig = { items: 6, types: 2, maxLen: 4, dim: 8, blocks: 1, dropout: 0 };
    const manifest = {
      manifest_version: 1,
      name: 'recommender',
      version: 1,
      feature_schema_version: 1,
      created_at: '',
      shards: [],
      metrics: {},
      config,
      items: ['', 'a', 'b', 'c', 'd', 'e'],
      types: ['', 'view_item'],
      blend: 0.5,
      knn: { neighbours: 1, decay: 0.5 },
    } satisfies RecommenderManifest;
    const neighbours = {
      items: Int32Array.from([0, 2, 3, 4, 5, 1]),
      similarity: Float32Array.from([0, 1, 1, 1, 1, 1]),
      width: 1,
    };
    const model = createRecommenderModel(
      initWeights(config, 3),
      manifest,
      neighbours,
      Float32Array.from([0, 5, 4, 3, 2, 1]),
    );
    const next = model.recommend(['a', 'b'], ['view_item', 'view_item'], 3);
    expect(next).toHaveLength(3);
    expect(next).not.toContain('a');
    expect(model.recommend([], [], 2)).toEqual(['a', 'b']); // nothing known: the most popular
    const [taste, none] = model.embed([['a', 'c'], ['unknown']], [['view_item', 'view_item'], ['view_item']]);
    expect(taste).toHaveLength(8);
    expect(Math.hypot(...(taste as Float32Array))).toBeCloseTo(1, 5);
    expect(none).toBeUndefined();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
