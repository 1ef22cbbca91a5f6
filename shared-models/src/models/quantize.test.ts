/** Weights in fewer bits, in TF.js's own format: what `tf.io.decodeWeights` reads back is what the trainer judged. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { decodeTensors, encodeTensors } from './files';
import { dequantize, losslessDtype, quantize } from './quantize';

// The CPU backend in Node prints a banner asking for tfjs-node (which cannot install here): not in the test output.
tf.env().set('PROD', true);

describe('quantised weights', () => {
  const floats = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.37 - 0.05);

  it('keeps each value within half a level of its range', () => {
    for (const [dtype, levels] of [
      ['uint8', 255],
      ['uint16', 65_535],
    ] as const) {
      const back = dequantize(quantize(floats, dtype));
      const range = Math.max(...floats) - Math.min(...floats);
      const worst = Math.max(...floats.map((v, i) => Math.abs(v - back[i])));
      expect(worst).toBeLessThanOrEqual((range / levels) * 0.5 + 1e-6);
    }
  });

  it("keeps an earlier version's levels where they hold, so an unchanged value keeps its byte", () => {
    const before = quantize(floats, 'uint8');
    const pin = { dtype: 'uint8' as const, min: before.min, scale: before.scale };
    // A retrain that moved one value: decoded values requantise to the same levels, the moved one to its own.
    const decoded = dequantize(before) as Float32Array;
    const moved = decoded.slice();
    moved[7] += 0.1;
    const after = quantize(moved, 'uint8', false, pin);
    expect([after.min, after.scale]).toEqual([before.min, before.scale]);
    expect([...after.q].filter((q, i) => q !== before.q[i]).length).toBe(1);
    // Just past an end (within 2 % of the span): clamped to it, the levels kept.
    const stretched = decoded.slice();
    stretched[3] = before.min - 0.01 * 255 * before.scale;
    expect(quantize(stretched, 'uint8', false, pin)).toMatchObject({ min: before.min, q: expect.anything() });
    expect(quantize(stretched, 'uint8', false, pin).q[3]).toBe(0);
    // Far past it, another dtype, or integers: the values' own levels.
    stretched[3] = before.min - 1;
    expect(quantize(stretched, 'uint8', false, pin).min).toBeCloseTo(before.min - 1, 5);
    expect(quantize(decoded, 'uint16', false, pin).scale).not.toBe(before.scale);
    expect(quantize(Int32Array.from([5, 9]), 'uint8', true, pin)).toMatchObject({ min: 5, scale: 1 });
  });

  it('holds integer tables exactly where their range fits, and says when it does not', () => {
    const ids = Int32Array.from({ length: 500 }, (_, i) => (i * 7919) % 40_000);
    expect(losslessDtype(ids)).toBe('uint16');
    expect(losslessDtype(Int32Array.from([3, 200, 4]))).toBe('uint8');
    expect(losslessDtype(Int32Array.from([0, 70_000]))).toBeUndefined();
    expect([...dequantize(quantize(ids, 'uint16', true), true)]).toEqual([...ids]);
    expect(() => quantize(Int32Array.from([0, 300]), 'uint8', true)).toThrow(RangeError);
    expect(() => quantize([1, Number.NaN], 'uint8')).toThrow(RangeError);
    // A constant tensor has one level and comes back as itself.
    expect([...dequantize(quantize([0.5, 0.5], 'uint8'))]).toEqual([0.5, 0.5]);
  });

  it('writes TF.js weight specs that tf.io.decodeWeights reads back as the trainer judged them, in fewer bytes', async () => {
    const tensors = {
      embedding: tf.tensor2d(floats, [100, 10]),
      ids: tf.tensor1d(
        Int32Array.from({ length: 300 }, (_, i) => i * 3),
        'int32',
      ),
      kept: tf.tensor1d([1.5, -2.25, 3]),
    };
    const plain = await encodeTensors('test', tensors);
    const small = await encodeTensors('test', tensors, {}, { embedding: 'uint8', ids: 'uint16' });
    expect(small.get('weights.bin')?.byteLength).toBe(1000 + 600 + 12);
    expect(plain.get('weights.bin')?.byteLength).toBe(4000 + 1200 + 12);
    const { tensors: back } = decodeTensors(small, 'test');
    expect(back.embedding.dtype).toBe('float32');
    expect([...(back.embedding.dataSync() as Float32Array)]).toEqual([...dequantize(quantize(floats, 'uint8'))]);
    expect(back.ids.dtype).toBe('int32');
    expect([...back.ids.dataSync()]).toEqual([...tensors.ids.dataSync()]);
    expect([...back.kept.dataSync()]).toEqual([1.5, -2.25, 3]);
    tf.dispose([...Object.values(tensors), ...Object.values(back)]);
  });
});
