/**
 * The SASRec network on the wasm backend the trainer uses: its embedding trains there, it learns
 * an order of items, and scoring leaves no tensor behind.
 */

import {
  createRecommenderModel,
  embed,
  encode,
  encodeLast,
  itemScores,
  prepareInference,
  type RecommenderManifest,
  type SasRecConfig,
  topOf,
} from '@aisle/shared-models/models/recommender';
import { initWeights, sequenceLoss } from '@aisle/shared-models/models/recommender/sasrec-train';
import { random } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
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

/** The fields every manifest has, as a test model's. */
const MANIFEST_BASICS: Pick<
  RecommenderManifest,
  'manifest_version' | 'name' | 'version' | 'feature_schema_version' | 'created_at' | 'shards' | 'metrics'
> = {
  manifest_version: 1,
  name: 'recommender',
  version: 1,
  feature_schema_version: 1,
  created_at: '',
  shards: [],
  metrics: {},
};

describe('the recommender model', () => {
  it('leaves no tensor behind after scoring, embedding and dispose', () => {
    const before = tf.memory().numTensors;
    const config: SasRecConfig = { items: 6, types: 2, maxLen: 4, dim: 8, blocks: 1, dropout: 0 };
    const manifest = {
      ...MANIFEST_BASICS,
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

describe('the device fast path', () => {
  it('picks the m best scores, best first, ties to the earlier item, nothing left out', () => {
    const scores = Float32Array.from([9, 5, 7, 7, Number.NEGATIVE_INFINITY, 8, 7, 1]);
    expect([...topOf(scores, 4).index]).toEqual([0, 5, 2, 3]);
    expect([...topOf(scores, 4).score]).toEqual([9, 8, 7, 7]);
    expect([...topOf(scores, 100).index]).toEqual([0, 5, 2, 3, 6, 1, 7]);
    expect([...topOf(scores, 0).index]).toEqual([]);
  });

  const config: SasRecConfig = { items: 300, types: 3, maxLen: 12, dim: 16, blocks: 2, dropout: 0 };
  const rnd = random(11);
  const history = (len: number) => Array.from({ length: len }, () => 1 + Math.floor(rnd() * (config.items - 1)));

  it('encodes one history in plain loops to the same last hidden state as the training network', async () => {
    const weights = initWeights(config, 5);
    const before = tf.memory().numTensors;
    // Plain loops only, and with the products over many rows on the backend.
    const both = [await prepareInference(weights, config), await prepareInference(weights, config, true)];
    for (const len of [1, 5, 12]) {
      const items = history(len);
      const types = items.map((_, i) => 1 + (i % 2));
      const pad = (xs: number[]) => [...new Array(config.maxLen - len).fill(0), ...xs];
      const full = tf.tidy(() =>
        encode(
          weights,
          config,
          tf.tensor2d([pad(items)], [1, config.maxLen], 'int32'),
          tf.tensor2d([pad(types)], [1, config.maxLen], 'int32'),
          false,
        )
          .slice([0, config.maxLen - 1, 0], [1, 1, config.dim])
          .reshape([config.dim]),
      );
      const a = full.dataSync();
      for (const prepared of both) {
        const b = encodeLast(prepared, items, types);
        expect(b).toHaveLength(config.dim);
        for (let d = 0; d < config.dim; d++) expect(b[d]).toBeCloseTo(a[d], 4);
      }
      full.dispose();
    }
    for (const prepared of both) prepared.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(weights));
  });

  it("ranks the catalogue in the order the full scores give, after the caller's adjustments, and frees what it used", async () => {
    const before = tf.memory().numTensors;
    const manifest = {
      ...MANIFEST_BASICS,
      config,
      items: ['', ...Array.from({ length: config.items - 1 }, (_, i) => `i${i}`)],
      types: ['', 'view_item', 'add_to_cart'],
      blend: 0.6,
      knn: { neighbours: 4, decay: 0.7 },
      repeat: null,
    } satisfies RecommenderManifest;
    const width = 4;
    const neighbours = {
      items: Int32Array.from({ length: config.items * width }, () => 1 + Math.floor(rnd() * (config.items - 1))),
      similarity: Float32Array.from({ length: config.items * width }, () => rnd()),
      width,
    };
    const popularity = Float32Array.from({ length: config.items }, () => rnd());
    const model = createRecommenderModel(initWeights(config, 7), manifest, neighbours, popularity, undefined, true);
    const adjust = new Float32Array(config.items);
    for (let j = 0; j < config.items; j += 7) adjust[j] = Number.NEGATIVE_INFINITY; // left out
    adjust[43] = 3; // a boost
    for (const items of [history(3), history(20), []]) {
      const types = items.map(() => 1);
      const full = model.scoreBatch([items], [types])[0];
      const expected = Array.from({ length: config.items - 1 }, (_, j) => j + 1)
        .filter((j) => !items.includes(j) && j % 7 !== 0 && j !== 5 && j !== 6)
        .sort((x, y) => full[y] + adjust[y] - (full[x] + adjust[x]))
        .slice(0, 15);
      const { index, score } = await model.rankAsync(items, types, 15, { adjust, exclude: [5, 6] });
      expect([...index]).toEqual(expected);
      for (let r = 0; r < 15; r++) expect(score[r]).toBeCloseTo(full[expected[r]] + adjust[expected[r]], 3);
    }
    // Asking for more than passes gives only what passes.
    const { index } = await model.rankAsync(history(2), [], config.items, { adjust });
    expect(index.length).toBeLessThan(config.items - 40);
    expect([...index].every((j) => j % 7 !== 0)).toBe(true);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
