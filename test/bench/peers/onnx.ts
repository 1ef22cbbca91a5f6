/**
 * @module test/bench/peers/onnx — the recommender's SASRec encoder as an ONNX model, for the runtime
 * a shop might pick instead of TF.js (ONNX Runtime Web). The graph is `encode` (the shared forward
 * pass in `shared-models/models/recommender/sasrec`) for one unpadded history, its last position
 * scored against every item and the best `k` taken: what a device asks of it for a recommendation.
 * Built as standard ONNX (opset 17: `LayerNormalization`, `Trilu`, `TopK`), written with protobufjs
 * from the message definitions of onnx.proto that a model file uses (field numbers as ONNX
 * publishes them). A weight Aisle ships as uint8 (`q · scale + min`) travels as the same bytes:
 * `DequantizeLinear` (zero point 0) and an `Add` of its minimum.
 */
import { MODEL_FILE, readJson, type WeightsManifest, weightsOf } from '@aisle/shared-models/models/files';
import { type RecommenderManifest, type SasRecConfig, weightShapes } from '@aisle/shared-models/models/recommender';
import * as tf from '@tensorflow/tfjs';
import protobuf from 'protobufjs';
import { readModelDir } from '../../../training/src/model-files';

/** The parts of onnx.proto a model file is written with. */
const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            t: { type: 'TensorProto', id: 5 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
      },
    },
  },
};

/** ONNX's element types and attribute kinds used here. */
const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, TENSOR: 4, INTS: 7 } as const;

type Attribute = number | number[] | { tensor: Tensor };
interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

const floatTensor = (name: string, dims: number[], values: Float32Array): Tensor => ({
  name,
  dims,
  dataType: FLOAT,
  rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});
const int64Tensor = (name: string, dims: number[], values: number[]): Tensor => ({
  name,
  dims,
  dataType: INT64,
  rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer),
});

/** A weight as TF.js's uint8 quantisation writes it: value = q · scale + min. */
export interface QuantizedWeight {
  q: Uint8Array;
  min: number;
  scale: number;
}

/** Names of the graph's inputs and outputs. */
export const ONNX_IO = {
  /** int64 [1, L]: the history's item indexes, oldest first, unpadded (L ≤ maxLen). */
  items: 'items',
  /** int64 [1, L]: their event types' indexes. */
  types: 'types',
  /** int64 [1, L]: their positions, maxLen − L … maxLen − 1 (the model is trained left-padded to maxLen). */
  positions: 'positions',
  /** float [1, dim]: the last position's hidden state. */
  hidden: 'hidden',
  /** float [1, k] and int64 [1, k]: the best `k` items' scores and indexes. */
  scores: 'top_scores',
  indexes: 'top_indexes',
} as const;

/**
 * The encoder, scoring and top-`k` as an ONNX model (bytes of a `.onnx` file), from the weights by
 * `weightShapes`' names: float32, or uint8 as TF.js quantised them.
 */
export function sasrecToOnnx(
  weights: Record<string, Float32Array | QuantizedWeight>,
  c: SasRecConfig,
  k = 10,
): Uint8Array {
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  const d = c.dim;
  const initializers: Tensor[] = [];
  const nodes: object[] = [];
  let counter = 0;
  const w = (name: string, dims: number[]) => {
    const values = weights[name];
    const size = values instanceof Float32Array ? values.length : values?.q.length;
    if (size !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${name}: expected ${dims}`);
    if (values instanceof Float32Array) initializers.push(floatTensor(name, dims, values));
    else {
      initializers.push({ name: `${name}_q`, dims, dataType: UINT8, rawData: values.q });
      const dequantized = one('DequantizeLinear', [`${name}_q`, scalar(values.scale)]);
      op('Add', [dequantized, scalar(values.min)], {}, 1, [name]);
    }
    return name;
  };
  const scalar = (value: number) => {
    const name = `const_${++counter}`;
    initializers.push(floatTensor(name, [], Float32Array.of(value)));
    return name;
  };
  const ints = (values: number[]) => {
    const name = `const_${++counter}`;
    initializers.push(int64Tensor(name, [values.length], values));
    return name;
  };
  /** One node; its outputs' names (fresh unless given). */
  const op = (type: string, inputs: string[], attrs: Record<string, Attribute> = {}, outputs = 1, named?: string[]) => {
    const out = named ?? Array.from({ length: outputs }, () => `${type.toLowerCase()}_${++counter}`);
    nodes.push({
      opType: type,
      name: `${type}_${++counter}`,
      input: inputs,
      output: out,
      attribute: Object.entries(attrs).map(([name, v]) =>
        typeof v === 'number'
          ? Number.isInteger(v) && name !== 'epsilon' && name !== 'alpha'
            ? { name, type: ATTR.INT, i: v }
            : { name, type: ATTR.FLOAT, f: v }
          : Array.isArray(v)
            ? { name, type: ATTR.INTS, ints: v }
            : { name, type: ATTR.TENSOR, t: v.tensor },
      ),
    });
    return out;
  };
  const one = (type: string, inputs: string[], attrs?: Record<string, Attribute>) => op(type, inputs, attrs)[0];
  const layerNorm = (x: string, gamma: string, beta: string) =>
    one('LayerNormalization', [x, w(gamma, [d]), w(beta, [d])], { axis: -1, epsilon: 1e-8 });
  const matMul = (x: string, name: string) => one('MatMul', [x, w(name, [d, d])]);

  const { items, types, positions } = ONNX_IO;
  // The input embedding: item · √dim + position + type.
  const itemEmbedding = w('item_embedding', [c.items, d]);
  let x = one('Add', [
    one('Add', [
      one('Mul', [one('Gather', [itemEmbedding, items]), scalar(Math.sqrt(d))]),
      one('Gather', [w('position_embedding', [c.maxLen, d]), positions]),
    ]),
    one('Gather', [w('type_embedding', [c.types, d]), types]),
  ]);
  // Position i may look at positions up to i: 0 there, −1e9 past it ([L, L], from the input's length).
  const length = one('Slice', [one('Shape', [items]), ints([1]), ints([2])]);
  const ones = one('ConstantOfShape', [one('Concat', [length, length], { axis: 0 })], {
    value: { tensor: floatTensor('one', [1], Float32Array.of(1)) },
  });
  const blocked = one('Mul', [one('Sub', [one('Trilu', [ones], { upper: 0 }), scalar(1)]), scalar(1e9)]);
  for (let b = 0; b < c.blocks; b++) {
    const p = (n: string) => `b${b}_${n}`;
    const q = layerNorm(x, p('ln1_gamma'), p('ln1_beta'));
    const Q = matMul(q, p('wq'));
    const K = matMul(x, p('wk'));
    const V = matMul(x, p('wv'));
    const scores = one('Add', [
      one('Mul', [one('MatMul', [Q, one('Transpose', [K], { perm: [0, 2, 1] })]), scalar(1 / Math.sqrt(d))]),
      blocked,
    ]);
    const attention = one('Softmax', [scores], { axis: -1 });
    x = one('Add', [q, one('MatMul', [attention, V])]);
    const f = layerNorm(x, p('ln2_gamma'), p('ln2_beta'));
    const hidden = one('Relu', [one('Add', [matMul(f, p('w1')), w(p('b1'), [d])])]);
    x = one('Add', [f, one('Add', [matMul(hidden, p('w2')), w(p('b2'), [d])])]);
  }
  const last = one('Gather', [layerNorm(x, 'final_gamma', 'final_beta'), ints([-1])], { axis: 1 });
  op('Reshape', [last, ints([1, d])], {}, 1, [ONNX_IO.hidden]);
  const all = one('Gemm', [ONNX_IO.hidden, itemEmbedding], { transB: 1 });
  op('TopK', [all, ints([k])], { axis: -1, largest: 1, sorted: 1 }, 2, [ONNX_IO.scores, ONNX_IO.indexes]);

  const valueInfo = (name: string, elemType: number, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })) },
      },
    },
  });
  const Model = root.lookupType('onnx.ModelProto');
  const model = Model.fromObject({
    irVersion: 8,
    producerName: 'aisle-bench',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'sasrec',
      node: nodes,
      initializer: initializers,
      input: [
        valueInfo(items, INT64, [1, 'L']),
        valueInfo(types, INT64, [1, 'L']),
        valueInfo(positions, INT64, [1, 'L']),
      ],
      output: [
        valueInfo(ONNX_IO.hidden, FLOAT, [1, d]),
        valueInfo(ONNX_IO.scores, FLOAT, [1, k]),
        valueInfo(ONNX_IO.indexes, INT64, [1, k]),
      ],
    },
  });
  return Model.encode(model).finish();
}

/** Bytes per value of each dtype a weight spec may be written as. */
const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };

/**
 * The recommender `aisle train` (or the synthetic model) wrote to `dir`, as ONNX: its encoder's
 * weights as stored (uint8 as the same bytes, anything else as float32).
 */
export function onnxOfModelDir(dir: string, k = 10): Uint8Array {
  const { manifest, files } = readModelDir(dir);
  const c = (manifest as RecommenderManifest).config;
  const specs = readJson<{ weightsManifest: WeightsManifest }>(files, MODEL_FILE).weightsManifest[0].weights;
  const bytes = weightsOf(files, specs);
  const wanted = new Set(weightShapes(c).map(([name]) => name));
  const weights: Record<string, Float32Array | QuantizedWeight> = {};
  let at = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = count * BYTES[dtype];
    if (wanted.has(spec.name)) {
      const raw = bytes.slice(at, at + size);
      if (dtype === 'uint8' && spec.quantization)
        weights[spec.name] = { q: raw, min: spec.quantization.min ?? 0, scale: spec.quantization.scale ?? 1 };
      else
        weights[spec.name] = tf.tidy(
          () => tf.io.decodeWeights(raw.buffer, [{ ...spec, name: 'x' }]).x.dataSync() as Float32Array,
        );
    }
    at += size;
  }
  return sasrecToOnnx(weights, c, k);
}
