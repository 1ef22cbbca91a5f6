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
