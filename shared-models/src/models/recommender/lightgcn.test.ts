/**
 * LightGCN's graph, its propagation and its two forward passes: the graph the training histories
 * make, the propagation equal to LightGCN's layer-by-layer definition written densely, the device's
 * plain-loop pass equal to the batched one, the propagation's gradient what the dense form gives,
 * and a model written with it read back ranking as it did.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../../../../test/helpers/recommender-round-trip';
import { encodeHistories } from './encoder';
import { decodeRecommender } from './format';
import { bagOf, encodeBag, lightgcnGraph, prepareBagInference, propagate } from './lightgcn';
import type { SasRecConfig } from './sasrec';
import { initLightGcn } from './sasrec-train';

tf.env().set('PROD', true);

const config: SasRecConfig = {
  arch: 'lightgcn',
  items: 12,
  types: 3,
  maxLen: 10,
  dim: 8,
  blocks: 1,
  dropout: 0,
  decay: 0.7,
};
/** Three shoppers' histories: a repeat counts once, the padding index and unknown items not at all. */
const histories = [
  [1, 2, 3, 2],
  [2, 4, 0, 99],
  [5, 1],
];

describe("LightGCN's graph", () => {
  it('has an edge per distinct shopper–item pair, weighted 1/√(deg shopper · deg item)', () => {
    const g = lightgcnGraph(histories, config.items);
    expect(g.shoppers).toBe(3);
    const edges = Array.from(g.shopper, (u, e) => [u, g.item[e], g.weight[e]]);
    // Item 2 has two shoppers; shopper 0 three items.
    expect(edges).toEqual([
      [0, 1, expect.closeTo(1 / Math.sqrt(3 * 2), 6)],
      [0, 2, expect.closeTo(1 / Math.sqrt(3 * 2), 6)],
      [0, 3, expect.closeTo(1 / Math.sqrt(3 * 1), 6)],
      [1, 2, expect.closeTo(1 / Math.sqrt(2 * 2), 6)],
      [1, 4, expect.closeTo(1 / Math.sqrt(2 * 1), 6)],
      [2, 5, expect.closeTo(1 / Math.sqrt(2 * 1), 6)],
      [2, 1, expect.closeTo(1 / Math.sqrt(2 * 2), 6)],
    ]);
  });

  it('propagates as LightGCN defines it, forwards and backwards', () => {
    const g = lightgcnGraph(histories, config.items);
    // The normalised adjacency, dense: R̃ [shoppers, items].
    const dense = tf.buffer([g.shoppers, g.items]);
    g.weight.forEach((w, e) => {
      dense.set(w, g.shopper[e], g.item[e]);
    });
    const r = dense.toTensor() as tf.Tensor2D;
    const base = tf.randomNormal([g.items, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    for (const hops of [1, 2]) {
      // Layers 0..2·hops+1, shoppers starting from zero: the items' odd layers are zero.
      const expected = tf.tidy(() => {
        let items: tf.Tensor2D = base;
        let shoppers = tf.zeros([g.shoppers, 4]) as tf.Tensor2D;
        let sum: tf.Tensor = base;
        for (let k = 0; k < 2 * hops + 1; k++) {
          const nextShoppers = tf.matMul(r, items);
          items = tf.matMul(r, shoppers, true);
          shoppers = nextShoppers as tf.Tensor2D;
          sum = sum.add(items);
        }
        return sum.div(2 * hops + 2);
      });
      const got = propagate(base, g, hops);
      expect(Array.from(got.dataSync())).toEqual(
        Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 5) as unknown as number),
      );
      // The gradient of any loss through the sparse products is the dense one's.
      const loss = (f: (x: tf.Tensor2D) => tf.Tensor) => (x: tf.Tensor) =>
        f(x as tf.Tensor2D)
          .square()
          .sum();
      const sparse = tf.grad(loss((x) => propagate(x, g, hops)))(base);
      const viaDense = tf.grad(
        loss((x) => {
          let s: tf.Tensor2D = x;
          let layer: tf.Tensor2D = x;
          for (let h = 0; h < hops; h++) {
            layer = tf.matMul(r, tf.matMul(r, layer), true);
            s = s.add(layer);
          }
          return s.div(2 * hops + 2);
        }),
      )(base);
      expect(Array.from(sparse.dataSync())).toEqual(
        Array.from(viaDense.dataSync()).map((v) => expect.closeTo(v, 4) as unknown as number),
      );
      tf.dispose([expected, got, sparse, viaDense]);
    }
    tf.dispose([r, base]);
  });
});

describe("LightGCN's forward passes", () => {
  it('weighs a history’s distinct items, the later more', () => {
    const bag = bagOf([1, 2, 1, 3, 0, 50], 10, 12, 0.5);
    // Newest first, a repeat at its latest place, unknown and padding left out.
    expect(bag.items).toEqual([3, 1, 2]);
    const norm = Math.sqrt(1 + 0.25 + 0.0625);
    expect(bag.weights.map((w) => w * norm)).toEqual([1, 0.5, 0.25].map((v) => expect.closeTo(v, 6)));
    // No decay: LightGCN's own 1/√|H|; the window cuts the oldest.
    expect(bagOf([1, 2, 3, 4], 2, 12).weights).toEqual([1, 1].map(() => expect.closeTo(1 / Math.sqrt(2), 6)));
    expect(bagOf([1, 2, 3, 4], 2, 12).items).toEqual([4, 3]);
  });

  it('gives the same state in plain loops (the device) as batched (trainer and evaluation)', async () => {
    const training = initLightGcn(config, histories, 7);
    const w = training.weights;
    const asked = [[1, 2, 3, 2, 4], [5], [7, 7, 8, 9, 7, 10], [11, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 1], []];
    const batched = encodeHistories(w, config, asked, []);
    const rows = (await batched.array()) as number[][];
    batched.dispose();
    const p = await prepareBagInference(w, config);
    asked.forEach((h, i) => {
      const one = encodeBag(p, h);
      one.forEach((v, k) => {
        expect(v).toBeCloseTo(rows[i][k], 5);
      });
    });
    // An empty history: no state at all.
    expect(Array.from(encodeBag(p, [])).every((v) => v === 0)).toBe(true);
    // Rows past the model's own (the edge's rows of items past the head) are read as the model's own are.
    const extra = Float32Array.from({ length: 8 }, (_, k) => k + 1);
    const withExtra = encodeBag(p, [12], extra);
    expect(Array.from(withExtra)).toEqual(Array.from(extra));
    training.dispose();
    tf.dispose(Object.values(w));
  });

  it('writes a model that reads back ranking as it did, on the fast path too', async () => {
    const training = initLightGcn(config, histories, 5);
    const weights = training.weights;
    const { files, manifest, read, written } = await expectRoundTrip(config, weights);
    // Hops are in no weight's shape, nor the decay: a manifest cannot ask for what no device runs.
    await expect(decodeRecommender(files, { ...manifest, config: { ...config, blocks: 1e9 } })).rejects.toThrow(
      /LightGCN's config asks for 1000000000 hops; at most 4/,
    );
    for (const decay of [0, -1, 2, Number.NaN, '0.5' as never])
      await expect(decodeRecommender(files, { ...manifest, config: { ...config, decay } })).rejects.toThrow(
        /decay .* is not a number in \(0, 1\]/,
      );
    read.dispose();
    written.dispose();
    training.dispose();
  });
});
