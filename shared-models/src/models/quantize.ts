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

/** An earlier version's levels for a tensor: reused where they still hold its values (see `quantize`). */
export interface QuantPin {
  dtype: QuantDtype;
  min: number;
  scale: number;
}

/**
 * `values` as `dtype` levels over their own range (scale 1 from their minimum for integers, so an
 * integer table whose range fits is exact). Non-finite values have no level: a caller's error.
 * With `pin` (the levels an earlier version of the tensor was written with) and every value within
 * them (or just past an end: `PIN_SLACK`), those levels are kept: a value that did not change is then written as the same bytes, so a
 * retrain that moved few rows changes few bytes (`./patch`).
 */
export function quantize(values: ArrayLike<number>, dtype: QuantDtype, integer = false, pin?: QuantPin): Quantized {
  if (pin && !integer && pin.dtype === dtype && fits(values, pin)) {
    const levels = LEVELS[dtype];
    const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) {
      q[i] = Math.min(levels, Math.max(0, Math.round((values[i] - pin.min) / pin.scale)));
    }
    return { dtype, q, min: pin.min, scale: pin.scale };
  }
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

/**
 * How far past the pinned levels a value may lie and still be written at the nearest end (a share of
 * their span): a retrain that stretched a range by a little keeps every other row's bytes, and the
 * trainer's validation judges the model as written, clamped values included.
 */
const PIN_SLACK = 0.02;

/** Whether every value lies within the pinned levels, give or take `PIN_SLACK` of their span. */
function fits(values: ArrayLike<number>, { dtype, min, scale }: QuantPin): boolean {
  if (!(scale > 0) || !Number.isFinite(min)) return false;
  const slack = Math.max(0.5, PIN_SLACK * LEVELS[dtype]) * scale;
  const low = min - slack;
  const high = min + scale * LEVELS[dtype] + slack;
  for (let i = 0; i < values.length; i++) if (!(values[i] >= low && values[i] <= high)) return false;
  return true;
}
