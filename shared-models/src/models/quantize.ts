/**
 * @module shared-models/models/quantize — weights stored in fewer bytes, in TF.js's own weight
 * format: a tensor's values as uint8 or uint16 with a `scale` and a `min` (`value = q · scale + min`,
 * one pair per tensor, the weight manifest's `quantization`), which `tf.io.decodeWeights` turns back
 * into float32 (or int32) at load — no code of ours on the device. Integer tables (neighbour
 * indexes, categories) fit losslessly where their range does; float tensors lose what the levels
 * cannot hold, which the trainer measures before it chooses (see the recommender pipeline).
 */

export type QuantDtype = 'uint8' | 'uint16';

const LEVELS: Record<QuantDtype, number> = { uint8: 255, uint16: 65_535 };
export const BYTES: Record<QuantDtype, number> = { uint8: 1, uint16: 2 };

export interface Quantized {
  dtype: QuantDtype;
  /** The levels, one per value. */
  q: Uint8Array | Uint16Array;
  min: number;
  scale: number;
}

/**
 * `values` as `dtype` levels over their own range (scale 1 from their minimum for integers, so an
 * integer table whose range fits is exact). Non-finite values have no level: a caller's error.
 */
export function quantize(values: ArrayLike<number>, dtype: QuantDtype, integer = false): Quantized {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new RangeError(`cannot quantise ${v}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!values.length) min = max = 0;
  const levels = LEVELS[dtype];
  if (integer && max - min > levels) throw new RangeError(`integers over ${max - min} do not fit ${dtype}`);
  // Float32 scale and min: what the weight manifest's JSON round-trips and the decoder multiplies by.
  const scale = integer ? 1 : Math.fround((max - min) / levels) || 1;
  // (Integers stay as they are: JSON keeps them exact, and a float32 minimum past 2^24 would not be.)
  if (!integer) min = Math.fround(min);
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.min(levels, Math.max(0, Math.round((values[i] - min) / scale)));
  return { dtype, q, min, scale };
}

/** The values a decoder reads back from `quantize`'s levels (as `tf.io.decodeWeights` computes them). */
export function dequantize({ q, min, scale }: Quantized, integer = false): Float32Array | Int32Array {
  const out = integer ? new Int32Array(q.length) : new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = integer ? Math.round(q[i] * scale + min) : q[i] * scale + min;
  return out;
}

/** The smallest dtype that holds these integers exactly, or undefined when their range is too wide. */
export function losslessDtype(values: ArrayLike<number>): QuantDtype | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  const range = values.length ? max - min : 0;
  return range <= LEVELS.uint8 ? 'uint8' : range <= LEVELS.uint16 ? 'uint16' : undefined;
}
