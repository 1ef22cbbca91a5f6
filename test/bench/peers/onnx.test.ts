/**
 * The ONNX export the inference benchmark runs in ONNX Runtime Web is the same encoder: run in ONNX
 * Runtime (its wasm build, in Node) and in TF.js's `encode`, the same weights and histories give the
 * same last hidden state and the same best items; with the weights as float32 and as the uint8
 * Aisle ships (the same bytes, dequantised in the graph).
 */

import { quantize } from '@aisle/shared-models/models/quantize';
import { encode, itemScores, type SasRecConfig } from '@aisle/shared-models/models/recommender';
import { initWeights } from '@aisle/shared-models/models/recommender/sasrec-train';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../training/src/backend';
import { ONNX_IO, type QuantizedWeight, sasrecToOnnx } from './onnx';

describe('the SASRec encoder exported to ONNX', () => {
  it.each([false, true])('gives the hidden state and top items TF.js gives (uint8: %s)', async (uint8) => {
    await useBackend('wasm');
    ort.env.wasm.numThreads = 1;
    const c: SasRecConfig = { items: 301, types: 3, maxLen: 20, dim: 16, blocks: 2, dropout: 0 };
    const initial = initWeights(c, 7);
    const weights: Record<string, Float32Array | QuantizedWeight> = {};
    const variables: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(initial)) {
      const values = (await v.data()) as Float32Array;
      const { q, min, scale } = quantize(values, 'uint8');
      // TF.js reads a quantised weight back as q · scale + min.
      weights[name] = uint8 ? { q: q as Uint8Array, min, scale } : values;
      variables[name] = uint8
        ? tf.tensor(
            Float32Array.from(q, (x) => x * scale + min),
            v.shape,
          )
        : v;
    }
    const session = await ort.InferenceSession.create(sasrecToOnnx(weights, c, 5));
    for (const len of [1, 2, 7, 20]) {
      const items = Array.from({ length: len }, (_, i) => 1 + ((i * 37 + len) % 300));
      const types = items.map((_, i) => 1 + (i % 2));
      const feed = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, BigInt), [1, len]);
      const out = await session.run({
        [ONNX_IO.items]: feed(items),
        [ONNX_IO.types]: feed(types),
        [ONNX_IO.positions]: feed(items.map((_, i) => c.maxLen - len + i)),
      });
      const hidden = out[ONNX_IO.hidden].data as Float32Array;
      const [expected, best] = tf.tidy(() => {
        const h = encode(
          variables,
          c,
          tf.tensor2d([items], [1, len], 'int32'),
          tf.tensor2d([types], [1, len], 'int32'),
          false,
        )
          .slice([0, len - 1, 0], [1, 1, c.dim])
          .reshape([1, c.dim]) as tf.Tensor2D;
        return [h.dataSync(), tf.topk(itemScores(variables, h), 5).indices.dataSync()];
      });
      expect(hidden.length).toBe(c.dim);
      for (let k = 0; k < c.dim; k++) expect(hidden[k]).toBeCloseTo(expected[k], 3);
      expect(Array.from(out[ONNX_IO.indexes].data as BigInt64Array, Number)).toEqual(Array.from(best));
    }
    await session.release();
    tf.dispose([...Object.values(initial), ...Object.values(variables)]);
  });
});
