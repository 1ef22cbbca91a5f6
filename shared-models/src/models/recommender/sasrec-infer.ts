/**
 * @module shared-models/models/recommender/sasrec-infer — the device's hot path: one history's
 * last hidden state computed with plain loops over weights read once into arrays (and, on wasm,
 * the larger products as single kernels), the same numbers as `encode` to float precision.
 */
import * as tf from '@tensorflow/tfjs';
import type { SasRecConfig, SasRecWeights } from './sasrec';

/** One block's weights as plain arrays: matrices transposed ([out, in]), the attention scale folded into the query's. */
interface BlockArrays {
  ln1Gamma: Float32Array;
  ln1Beta: Float32Array;
  wq: Float32Array;
  /** Keys' and values' weights side by side: [2 dim, dim]. */
  wkv: Float32Array;
  ln2Gamma: Float32Array;
  ln2Beta: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** The same matrices as tensors on the backend, for products over many rows at once. */
interface BlockTensors {
  wq: tf.Tensor2D;
  wkv: tf.Tensor2D;
  w1: tf.Tensor2D;
  b1: tf.Tensor;
  w2: tf.Tensor2D;
  b2: tf.Tensor;
}

/**
 * A loaded model's weights read once into plain arrays for `encodeLast`, with its working
 * buffers. The item embedding is read whole (a call uses only the history's rows, but reading
 * rows on demand would be a read-back from a GPU backend on every request).
 */
export interface InferenceWeights {
  readonly c: SasRecConfig;
  readonly items: Float32Array;
  readonly positions: Float32Array;
  readonly types: Float32Array;
  readonly blocks: readonly BlockArrays[];
  /** Present when the matrix products over many rows run on the backend (see `prepareInference`). */
  readonly tensors?: readonly BlockTensors[];
  readonly finalGamma: Float32Array;
  readonly finalBeta: Float32Array;
  /** Working rows, each [maxLen, 2 dim]: reused by every call, so a call allocates nothing but its result. */
  readonly scratch: Float32Array[];
  dispose(): void;
}

/**
 * Reads the weights for `encodeLast`. With `backendProducts`, its products over more than a few
 * rows run on the current backend, each one kernel with one synchronous read: worth it where a
 * read is a copy in memory and the kernels are fast (wasm: XNNPACK's SIMD, about five times the
 * plain loops at fifty rows), not where it is a GPU round trip or the kernels are plain JavaScript.
 */
export async function prepareInference(
  w: SasRecWeights,
  c: SasRecConfig,
  backendProducts = false,
): Promise<InferenceWeights> {
  const d = c.dim;
  const vector = async (t: tf.Tensor) => Float32Array.from((await t.data()) as Float32Array);
  /** [d, cols] matrices side by side, transposed, times `scale`: row o holds what output o reads. */
  const matrix = async (ts: tf.Tensor[], scale = 1) =>
    transposed(await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>)), d, d, scale);
  const blocks: BlockArrays[] = [];
  const tensors: BlockTensors[] = [];
  const scale = 1 / Math.sqrt(d);
  for (let b = 0; b < c.blocks; b++) {
    const at = (n: string) => w[`b${b}_${n}`];
    blocks.push({
      ln1Gamma: await vector(at('ln1_gamma')),
      ln1Beta: await vector(at('ln1_beta')),
      wq: await matrix([at('wq')], scale),
      wkv: await matrix([at('wk'), at('wv')]),
      ln2Gamma: await vector(at('ln2_gamma')),
      ln2Beta: await vector(at('ln2_beta')),
      w1: await matrix([at('w1')]),
      b1: await vector(at('b1')),
      w2: await matrix([at('w2')]),
      b2: await vector(at('b2')),
    });
    if (backendProducts) {
      tensors.push({
        wq: tf.keep(tf.tidy(() => at('wq').mul(scale))) as tf.Tensor2D,
        wkv: tf.keep(tf.concat([at('wk'), at('wv')], 1)) as tf.Tensor2D,
        w1: at('w1') as tf.Tensor2D,
        b1: at('b1'),
        w2: at('w2') as tf.Tensor2D,
        b2: at('b2'),
      });
    }
  }
  return {
    c,
    items: await vector(w.item_embedding),
    positions: await vector(w.position_embedding),
    types: await vector(w.type_embedding),
    blocks,
    tensors: backendProducts ? tensors : undefined,
    finalGamma: await vector(w.final_gamma),
    finalBeta: await vector(w.final_beta),
    scratch: Array.from({ length: 7 }, () => new Float32Array(c.maxLen * 2 * d)),
    // The other tensors are the model's own.
    dispose: () => tf.dispose(tensors.flatMap((t) => [t.wq, t.wkv])),
  };
}

/**
 * [rows, cols] matrices side by side (each of the same rows), transposed and times `scale`: row o of
 * the result holds what output o reads.
 */
export function transposed(parts: readonly Float32Array[], rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(parts.length * cols * rows);
  parts.forEach((m, part) => {
    for (let i = 0; i < rows; i++)
      for (let o = 0; o < cols; o++) out[(part * cols + o) * rows + i] = m[i * cols + o] * scale;
  });
  return out;
}

/** Rows `from` to `from + rows` of `x` ([*, d]) layer-normalised into `out` from row 0 (as `encode`'s `layerNorm`). */
function normRows(
  x: Float32Array,
  from: number,
  rows: number,
  d: number,
  gamma: Float32Array,
  beta: Float32Array,
  out: Float32Array,
) {
  for (let r = 0; r < rows; r++) {
    const at = (from + r) * d;
    const to = r * d;
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[at + k];
    mean /= d;
    let variance = 0;
    for (let k = 0; k < d; k++) {
      const v = x[at + k] - mean;
      variance += v * v;
    }
    const inv = 1 / Math.sqrt(variance / d + 1e-8);
    for (let k = 0; k < d; k++) out[to + k] = (x[at + k] - mean) * inv * gamma[k] + beta[k];
  }
}

/**
 * `out` ([rows, cols]) = rows `from`… of `a` ([*, d]) · W, W given transposed (`wt`, [cols, d]),
 * plus `bias` when given, ReLU'd when asked. Dot products with four running sums.
 */
export function times(
  a: Float32Array,
  from: number,
  rows: number,
  d: number,
  wt: Float32Array,
  cols: number,
  out: Float32Array,
  bias: Float32Array | null,
  relu: boolean,
) {
  const even = d - (d % 4);
  for (let r = 0; r < rows; r++) {
    const row = (from + r) * d;
    for (let o = 0; o < cols; o++) {
      const col = o * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i < even; i += 4) {
        s0 += a[row + i] * wt[col + i];
        s1 += a[row + i + 1] * wt[col + i + 1];
        s2 += a[row + i + 2] * wt[col + i + 2];
        s3 += a[row + i + 3] * wt[col + i + 3];
      }
      for (; i < d; i++) s0 += a[row + i] * wt[col + i];
      let v = s0 + s1 + s2 + s3 + (bias === null ? 0 : bias[o]);
      if (relu && v < 0) v = 0;
      out[r * cols + o] = v;
    }
  }
}

/** Rows on the backend from this many: below it a product is a few thousand multiply-adds, less than a kernel's overhead. */
export const BACKEND_ROWS = 8;

/** `out` = rows `from`… of `a` · `weight` (+ `bias`, ReLU'd when asked), on the backend; then, given `then`, · `then.weight` + `then.bias`. */
function onBackend(
  a: Float32Array,
  from: number,
  rows: number,
  d: number,
  weight: tf.Tensor2D,
  out: Float32Array,
  bias?: tf.Tensor,
  then?: { weight: tf.Tensor2D; bias: tf.Tensor },
) {
  const y = tf.tidy(() => {
    const input = tf.tensor2d(a.subarray(from * d, (from + rows) * d), [rows, d]);
    const first = bias ? tf.fused.matMul({ a: input, b: weight, bias, activation: 'relu' }) : tf.matMul(input, weight);
    return then ? tf.fused.matMul({ a: first, b: then.weight, bias: then.bias }) : first;
  });
  out.set(y.dataSync() as Float32Array);
  y.dispose();
}

/**
 * The hidden state after one history (item and type indexes, oldest first, every item known, at
 * most `maxLen`): `encode`'s last position, with only the work that position needs (the last
 * block's attention and feed-forward for that one row). A batch of one is 0.6–1.6 M
 * multiply-adds (20–50 items), too little for fifty kernel launches: normalisation, attention and
 * small products run in plain loops here, the products over many rows in one kernel each where
 * the weights were prepared for it. Tested equal to `encode`.
 */
export function encodeLast(
  p: InferenceWeights,
  items: readonly number[],
  types: readonly number[],
  extraRows?: Float32Array,
): Float32Array {
  const { dim: d, maxLen } = p.c;
  const len = items.length;
  const sqrtDim = Math.sqrt(d);
  const [x, q, queries, kv, f, hidden, weights] = p.scratch;
  for (let i = 0; i < len; i++) {
    // An item past the model's own is row `items[i] - items` of `rows` (one the edge proved).
    const own = items[i] < p.c.items;
    const from = own ? p.items : (extraRows as Float32Array);
    const item = (own ? items[i] : items[i] - p.c.items) * d;
    const type = types[i] * d;
    const position = (maxLen - len + i) * d;
    for (let k = 0; k < d; k++) x[i * d + k] = from[item + k] * sqrtDim + p.positions[position + k] + p.types[type + k];
  }
  let rows = len;
  for (let index = 0; index < p.blocks.length; index++) {
    const b = p.blocks[index];
    const t = p.tensors?.[index];
    // Keys and values read every position; the last block asks for the last position only.
    const first = index === p.blocks.length - 1 ? len - 1 : 0;
    rows = len - first;
    normRows(x, first, rows, d, b.ln1Gamma, b.ln1Beta, q);
    if (t && rows >= BACKEND_ROWS) onBackend(q, 0, rows, d, t.wq, queries);
    else times(q, 0, rows, d, b.wq, d, queries, null, false);
    if (t && len >= BACKEND_ROWS) onBackend(x, 0, len, d, t.wkv, kv);
    else times(x, 0, len, d, b.wkv, 2 * d, kv, null, false);
    // Row i attends to positions up to i (causal), softmax-weighted; the residual is the normed query.
    for (let r = 0; r < rows; r++) {
      const seen = first + r + 1;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < seen; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += queries[r * d + k] * kv[j * 2 * d + k];
        weights[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < seen; j++) {
        weights[j] = Math.exp(weights[j] - max);
        sum += weights[j];
      }
      for (let j = 0; j < seen; j++) {
        const a = weights[j] / sum;
        for (let k = 0; k < d; k++) q[r * d + k] += a * kv[j * 2 * d + d + k];
      }
    }
    normRows(q, 0, rows, d, b.ln2Gamma, b.ln2Beta, f);
    if (t && rows >= BACKEND_ROWS) onBackend(f, 0, rows, d, t.w1, x, t.b1, { weight: t.w2, bias: t.b2 });
    else {
      times(f, 0, rows, d, b.w1, d, hidden, b.b1, true);
      times(hidden, 0, rows, d, b.w2, d, x, b.b2, false);
    }
    for (let k = 0; k < rows * d; k++) x[k] += f[k];
  }
  const out = new Float32Array(d);
  normRows(x, rows - 1, 1, d, p.finalGamma, p.finalBeta, out);
  return out;
}
