/**
 * @module shared-models/models/recommender/srgnn — a session-graph recommender (Wu et al., SR-GNN,
 * 2019) with the event type as a second input: the history's last `maxLen` items become a graph
 * (one node per distinct item, an edge for each step from one item to the next), a gated graph
 * network passes messages along the edges in both directions for `blocks` steps, and an attention
 * read-out joins the last item's node (the shopper's intent now) with the whole history's (their
 * taste in this visit) into one state, scored against every item by the shared item embedding.
 * Here: the weights' names and shapes, the graph, the batched forward pass trainer and evaluation
 * use, and the device's one-history pass in plain loops (tested equal to the batched one).
 */
import * as tf from '@tensorflow/tfjs';
import { embed } from './embedding';
import { matMul2d, type SasRecConfig, type SasRecWeights } from './sasrec';
import { BACKEND_ROWS, times, transposed } from './sasrec-infer';

/** The window the trainer gives SR-GNN unless told: the latest this many items of a history make its graph. */
export const SRGNN_WINDOW = 20;

/** The most steps and the widest window a device runs (neither is in a weight's shape, so the format checks them). */
export const SRGNN_LIMITS = { steps: 8, window: 200 };

/** Names and shapes of SR-GNN's weights, in the order they are exported in. */
export function srgnnShapes(c: SasRecConfig): [string, number[]][] {
  const d = c.dim;
  return [
    ['item_embedding', [c.items, d]],
    ['type_embedding', [c.types, d]],
    // The gated graph network, shared by every step: incoming and outgoing messages, then a GRU cell.
    ['g_w_in', [d, d]],
    ['g_in_bias', [d]],
    ['g_w_out', [d, d]],
    ['g_out_bias', [d]],
    ['g_w_ih', [2 * d, 3 * d]],
    ['g_ih_bias', [3 * d]],
    ['g_w_hh', [d, 3 * d]],
    ['g_hh_bias', [3 * d]],
    // The read-out: attention of the last item over the history, then both joined.
    ['r_w1', [d, d]],
    ['r_w2', [d, d]],
    ['r_bias', [d]],
    ['r_q', [d, 1]],
    ['r_w3', [2 * d, d]],
  ];
}

/** One history as a graph: its distinct items (in order of first appearance), each position's node, and the normalised edges. */
export interface SessionGraph {
  nodes: number[];
  /** Each position's node index. */
  alias: number[];
  /** [n, n]: row v holds v's incoming edges, each over v's in-degree. */
  incoming: Float32Array;
  /** [n, n]: row u holds u's outgoing edges, each over u's out-degree. */
  outgoing: Float32Array;
}

/** The graph of `items` (oldest first). */
export function sessionGraph(items: readonly number[]): SessionGraph {
  const at = new Map<number, number>();
  const nodes: number[] = [];
  const alias = items.map((i) => {
    let k = at.get(i);
    if (k === undefined) {
      k = nodes.length;
      at.set(i, k);
      nodes.push(i);
    }
    return k;
  });
  const n = nodes.length;
  const edge = new Uint8Array(n * n);
  for (let t = 1; t < alias.length; t++) edge[alias[t - 1] * n + alias[t]] = 1;
  const incoming = new Float32Array(n * n);
  const outgoing = new Float32Array(n * n);
  for (let u = 0; u < nodes.length; u++) {
    let out = 0;
    let inward = 0;
    for (let v = 0; v < nodes.length; v++) {
      out += edge[u * n + v];
      inward += edge[v * n + u];
    }
    for (let v = 0; v < nodes.length; v++) {
      if (out) outgoing[u * n + v] = edge[u * n + v] / out;
      if (inward) incoming[u * n + v] = edge[v * n + u] / inward;
    }
  }
  return { nodes, alias, incoming, outgoing };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The state after each history, [B, dim] (item and type indexes, oldest first, every item known,
 * at most `maxLen` each). Dropout on the item embeddings only when `training`, its masks drawn from
 * `seeds` when given.
 */
export function encodeSessions(
  w: SasRecWeights,
  c: SasRecConfig,
  histories: readonly (readonly number[])[],
  types: readonly (readonly number[])[],
  training: boolean,
  seeds?: () => number,
): tf.Tensor2D {
  const d = c.dim;
  const batch = histories.length;
  const tails = histories.map((h) => h.slice(-c.maxLen));
  const graphs = tails.map((h) => sessionGraph(h));
  const n = Math.max(1, ...graphs.map((g) => g.nodes.length));
  const len = Math.max(1, ...tails.map((h) => h.length));
  // Nodes and positions padded at the end; the matrices to the batch's widest graph.
  const nodes = new Int32Array(batch * n);
  const incoming = new Float32Array(batch * n * n);
  const outgoing = new Float32Array(batch * n * n);
  // Each position's row in the flattened [B·n] node states, and whether it holds an item.
  const rows = new Int32Array(batch * len);
  const present = new Float32Array(batch * len);
  const typeIds = new Int32Array(batch * len);
  const last = new Int32Array(batch);
  graphs.forEach((g, b) => {
    nodes.set(g.nodes, b * n);
    const m = g.nodes.length;
    for (let u = 0; u < m; u++)
      for (let v = 0; v < m; v++) {
        incoming[b * n * n + u * n + v] = g.incoming[u * m + v];
        outgoing[b * n * n + u * n + v] = g.outgoing[u * m + v];
      }
    // Each position's type, aligned from the end as the items are.
    const kinds = types[b] ?? [];
    const offset = kinds.length - g.alias.length;
    g.alias.forEach((k, t) => {
      rows[b * len + t] = b * n + k;
      present[b * len + t] = 1;
      typeIds[b * len + t] = kinds[offset + t] ?? 0;
    });
    last[b] = b * len + Math.max(0, g.alias.length - 1);
  });
  return tf.tidy(() => {
    const drop = (t: tf.Tensor) => (training && c.dropout > 0 ? tf.dropout(t, c.dropout, undefined, seeds?.()) : t);
    const nodeIds = tf.tensor2d(nodes, [batch, n], 'int32');
    const nodeMask = tf
      .notEqual(nodeIds, 0)
      .toFloat()
      .reshape([batch * n, 1]);
    let h = drop(embed(w.item_embedding as tf.Tensor2D, nodeIds))
      .reshape([batch * n, d])
      .mul(nodeMask) as tf.Tensor2D;
    const aIn = tf.tensor3d(incoming, [batch, n, n]);
    const aOut = tf.tensor3d(outgoing, [batch, n, n]);
    const messages = (weight: tf.Tensor, bias: tf.Tensor, a: tf.Tensor3D) =>
      tf
        .matMul(a, matMul2d(h, weight).reshape([batch, n, d]))
        .add(bias)
        .reshape([batch * n, d]);
    for (let step = 0; step < c.blocks; step++) {
      const inputs = tf.concat([messages(w.g_w_in, w.g_in_bias, aIn), messages(w.g_w_out, w.g_out_bias, aOut)], 1);
      const gi = matMul2d(inputs, w.g_w_ih).add(w.g_ih_bias);
      const gh = matMul2d(h, w.g_w_hh).add(w.g_hh_bias);
      const [ir, iz, inew] = tf.split(gi, 3, 1);
      const [hr, hz, hnew] = tf.split(gh, 3, 1);
      const reset = tf.sigmoid(ir.add(hr));
      const update = tf.sigmoid(iz.add(hz));
      const candidate = tf.tanh(inew.add(reset.mul(hnew)));
      h = candidate.add(update.mul(h.sub(candidate))).mul(nodeMask) as tf.Tensor2D;
    }
    const mask = tf.tensor2d(present, [batch * len, 1]);
    // Gathers by `embed`: its gradient is a scatter-add, which every backend has (TF.js's own is not, on wasm).
    const v = embed(h, tf.tensor1d(rows, 'int32'))
      .add(embed(w.type_embedding as tf.Tensor2D, tf.tensor1d(typeIds, 'int32')))
      .mul(mask) as tf.Tensor2D; // [B·len, d]
    const lastState = embed(v, tf.tensor1d(last, 'int32')) as tf.Tensor2D; // [B, d]
    const query = matMul2d(lastState, w.r_w1).reshape([batch, 1, d]);
    const keys = matMul2d(v, w.r_w2).reshape([batch, len, d]);
    const alpha = matMul2d(tf.sigmoid(keys.add(query).add(w.r_bias)).reshape([batch * len, d]), w.r_q).mul(mask); // [B·len, 1]
    const global = v.mul(alpha).reshape([batch, len, d]).sum(1) as tf.Tensor2D;
    return matMul2d(tf.concat([lastState, global], 1), w.r_w3);
  });
}

/** SR-GNN's weights read once into plain arrays for `encodeSession`, matrices transposed ([out, in]), with its working buffers. */
export interface SessionInference {
  readonly c: SasRecConfig;
  readonly arrays: Record<string, Float32Array>;
  /** [2d, d]: the incoming and the outgoing message weights, one product for both. */
  readonly edges: Float32Array;
  readonly ih: Float32Array;
  readonly hh: Float32Array;
  readonly w1: Float32Array;
  readonly w2: Float32Array;
  readonly w3: Float32Array;
  /** Working rows, each [maxLen, 3 dim]: reused by every call, so a call allocates nothing but its result. */
  readonly scratch: Float32Array[];
  /** The graph network's matrices on the backend ([in, out]), where its products over many rows run there (see `prepareInference`). */
  readonly tensors?: { edges: tf.Tensor2D; ih: tf.Tensor2D; hh: tf.Tensor2D };
  dispose(): void;
}

/** Reads the weights for `encodeSession`; with `backendProducts`, the graph network's products over many rows run on the backend. */
export async function prepareSessionInference(
  w: SasRecWeights,
  c: SasRecConfig,
  backendProducts = false,
): Promise<SessionInference> {
  const d = c.dim;
  const names = srgnnShapes(c).map(([name]) => name);
  const a: Record<string, Float32Array> = {};
  for (const name of names) a[name] = Float32Array.from((await w[name].data()) as Float32Array);
  const tensors = backendProducts
    ? {
        edges: tf.keep(tf.concat([w.g_w_in, w.g_w_out], 1)) as tf.Tensor2D,
        ih: w.g_w_ih as tf.Tensor2D,
        hh: w.g_w_hh as tf.Tensor2D,
      }
    : undefined;
  return {
    c,
    arrays: a,
    edges: transposed([a.g_w_in, a.g_w_out], d, d),
    ih: transposed([a.g_w_ih], 2 * d, 3 * d),
    hh: transposed([a.g_w_hh], d, 3 * d),
    w1: transposed([a.r_w1], d, d),
    w2: transposed([a.r_w2], d, d),
    w3: transposed([a.r_w3], 2 * d, d),
    scratch: Array.from({ length: 7 }, () => new Float32Array(c.maxLen * 3 * d)),
    tensors,
    // The other tensors are the model's own.
    dispose: () => tensors?.edges.dispose(),
  };
}

/**
 * `out` ([rows, cols]) = the first `rows` rows of `x` ([*, inner]) · W (+ `bias`): on the backend as
 * one kernel and one synchronous read where `weight` ([inner, cols]) is given and the rows are
 * many, else in plain loops with W transposed (`wt`).
 */
function multiply(
  x: Float32Array,
  rows: number,
  inner: number,
  wt: Float32Array,
  weight: tf.Tensor2D | undefined,
  cols: number,
  out: Float32Array,
  bias: Float32Array | null,
) {
  if (!weight || rows < BACKEND_ROWS) {
    times(x, 0, rows, inner, wt, cols, out, bias, false);
    return;
  }
  const y = tf.tidy(() => tf.matMul(tf.tensor2d(x.subarray(0, rows * inner), [rows, inner]), weight));
  out.set(y.dataSync() as Float32Array);
  y.dispose();
  if (bias) for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[r * cols + k] += bias[k];
}

/**
 * One direction's messages: `out` row v, from its column `at` (rows `2d` apart), = bias + Σ_u
 * edges[v, u] · hw[u] (the first or second half of `hw`'s rows, `2d` wide, as `at` says).
 */
function spread(
  edges: Float32Array,
  n: number,
  hw: Float32Array,
  d: number,
  bias: Float32Array,
  out: Float32Array,
  at: number,
) {
  for (let v = 0; v < n; v++) {
    const o = v * 2 * d + at;
    for (let k = 0; k < d; k++) out[o + k] = bias[k];
    for (let u = 0; u < n; u++) {
      const x = edges[v * n + u];
      if (x === 0) continue;
      const row = u * 2 * d + at;
      for (let k = 0; k < d; k++) out[o + k] += x * hw[row + k];
    }
  }
}

/**
 * The state after one history (item and type indexes, oldest first, every item known, at most
 * `maxLen`): `encodeSessions` for a batch of one, in plain loops — a graph of at most a few dozen
 * nodes is under a million multiply-adds, less than a kernel launch costs on a GPU backend.
 * An item past the model's own is row `items[i] - items` of `extraRows`.
 */
export function encodeSession(
  p: SessionInference,
  items: readonly number[],
  types: readonly number[],
  extraRows?: Float32Array,
): Float32Array {
  const { c, arrays: a } = p;
  const d = c.dim;
  // The window, whatever the caller gave: the buffers hold maxLen rows.
  if (items.length > c.maxLen) return encodeSession(p, items.slice(-c.maxLen), types.slice(-c.maxLen), extraRows);
  const g = sessionGraph(items);
  const n = g.nodes.length;
  const [h, hw, inputs, gi, gh, v, keys] = p.scratch;
  const t = p.tensors;
  g.nodes.forEach((item, k) => {
    const own = item < c.items;
    const row = (own ? item : item - c.items) * d;
    h.set((own ? a.item_embedding : (extraRows as Float32Array)).subarray(row, row + d), k * d);
  });
  for (let step = 0; step < c.blocks; step++) {
    // Both directions' messages from one product ([n, 2d]), each spread over the edges into its half of the GRU's input.
    multiply(h, n, d, p.edges, t?.edges, 2 * d, hw, null);
    spread(g.incoming, n, hw, d, a.g_in_bias, inputs, 0);
    spread(g.outgoing, n, hw, d, a.g_out_bias, inputs, d);
    multiply(inputs, n, 2 * d, p.ih, t?.ih, 3 * d, gi, a.g_ih_bias);
    multiply(h, n, d, p.hh, t?.hh, 3 * d, gh, a.g_hh_bias);
    for (let k = 0; k < n; k++) {
      const at = k * 3 * d;
      for (let j = 0; j < d; j++) {
        const reset = sigmoid(gi[at + j] + gh[at + j]);
        const update = sigmoid(gi[at + d + j] + gh[at + d + j]);
        const candidate = Math.tanh(gi[at + 2 * d + j] + reset * gh[at + 2 * d + j]);
        h[k * d + j] = candidate + update * (h[k * d + j] - candidate);
      }
    }
  }
  const len = items.length;
  for (let t = 0; t < len; t++)
    for (let j = 0; j < d; j++) v[t * d + j] = h[g.alias[t] * d + j] + a.type_embedding[types[t] * d + j];
  const query = new Float32Array(d);
  times(v, len - 1, 1, d, p.w1, d, query, a.r_bias, false);
  times(v, 0, len, d, p.w2, d, keys, query, false);
  const joined = new Float32Array(2 * d);
  joined.set(v.subarray((len - 1) * d, len * d));
  for (let t = 0; t < len; t++) {
    let alpha = 0;
    for (let j = 0; j < d; j++) alpha += sigmoid(keys[t * d + j]) * a.r_q[j];
    for (let j = 0; j < d; j++) joined[d + j] += alpha * v[t * d + j];
  }
  const out = new Float32Array(d);
  times(joined, 0, 1, 2 * d, p.w3, d, out, null, false);
  return out;
}
