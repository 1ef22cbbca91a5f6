/**
 * @module shared-models/models/files — the pieces every model format is made of: a model's files by
 * name, TF.js's weight format (`model.json` holding the weight specs, `weights.bin` the bytes) and
 * the error for files that are verified yet do not make the model they claim to be. Each model's
 * own format (`encodeX` / `decodeX`) lives beside it in `./<name>/format`.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelFormatError } from './format-error';
import { applyPatch, BASE_FILE, PATCH_FILE } from './patch';
import { type QuantDtype, type QuantPin, quantize } from './quantize';

/** A model's files by name (`model.json`, `weights.bin`, `catalog.json`), as read from a directory, IndexedDB or the network. */
export type ModelFiles = ReadonlyMap<string, Uint8Array>;

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

export { ModelFormatError };

/** The bytes as an ArrayBuffer of their own. */
export const arrayBufferOf = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** The file at `path` parsed as JSON; a `ModelFormatError` when it is missing or not JSON. */
export function readJson<T>(files: ModelFiles, path: string): T {
  const bytes = files.get(path);
  if (!bytes) throw new ModelFormatError(`${path} is missing`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new ModelFormatError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

export const jsonBytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** The weight specs `model.json` carries, in TF.js's layout. */
export type WeightsManifest = { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];

/**
 * Named tensors as `model.json` (`{ format, ...extra, weightsManifest }`) and `weights.bin`. The
 * tensors are the caller's: they are read, not disposed. Those named in `quantized` are written as
 * that many bits per value with TF.js's `quantization` spec (see `./quantize`), float32 and int32
 * tensors alike; `tf.io.decodeWeights` reads them back as their own dtype. `pins` are an earlier
 * version's levels, kept where they still hold its values (`quantize`).
 */
export async function encodeTensors(
  format: string,
  tensors: tf.NamedTensorMap,
  extra: Record<string, unknown> = {},
  quantized: Record<string, QuantDtype> = {},
  pins: Record<string, QuantPin> = {},
): Promise<Map<string, Uint8Array>> {
  let data: ArrayBuffer;
  let specs: tf.io.WeightsManifestEntry[];
  if (!Object.keys(quantized).length) ({ data, specs } = await tf.io.encodeWeights(tensors));
  else {
    specs = [];
    const chunks: Uint8Array[] = [];
    for (const [name, t] of Object.entries(tensors)) {
      if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`cannot write ${name}: ${t.dtype}`);
      const values = (await t.data()) as Float32Array | Int32Array;
      const dtype = quantized[name];
      if (dtype) {
        const { q, min, scale } = quantize(values, dtype, t.dtype === 'int32', pins[name]);
        chunks.push(new Uint8Array(q.buffer, q.byteOffset, q.byteLength));
        specs.push({ name, shape: t.shape, dtype: t.dtype, quantization: { dtype, min, scale } });
      } else {
        chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        specs.push({ name, shape: t.shape, dtype: t.dtype });
      }
    }
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    data = bytes.buffer;
  }
  const weightsManifest: WeightsManifest = [{ paths: [WEIGHTS_FILE], weights: specs }];
  return new Map([
    [MODEL_FILE, jsonBytes({ format, ...extra, weightsManifest })],
    [WEIGHTS_FILE, new Uint8Array(data)],
  ]);
}

/** `encodeTensors` read back: the named tensors (the caller's to dispose) and `model.json` itself. */
export function decodeTensors<Extra extends object = object>(
  files: ModelFiles,
  format: string,
): { tensors: tf.NamedTensorMap; model: Extra } {
  const model = readJson<{ format?: string; weightsManifest?: WeightsManifest } & Extra>(files, MODEL_FILE);
  if (model.format !== format) throw new ModelFormatError(`${MODEL_FILE} is ${model.format}, not ${format}`);
  const specs = model.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) throw new ModelFormatError(`${MODEL_FILE} has no weight specs`);
  try {
    return { tensors: tf.io.decodeWeights(arrayBufferOf(weightsOf(files, specs)), specs), model };
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`${WEIGHTS_FILE} does not match its specs: ${(error as Error).message}`);
  }
}

/**
 * `weights.bin`'s bytes: the file itself, or an earlier version's (`weights.base.bin`) with the
 * patch that makes it this one's (`./patch`).
 */
export function weightsOf(files: ModelFiles, specs: readonly tf.io.WeightsManifestEntry[]): Uint8Array {
  const whole = files.get(WEIGHTS_FILE);
  if (whole) return whole;
  const base = files.get(BASE_FILE);
  const patch = files.get(PATCH_FILE);
  if (!base || !patch) throw new ModelFormatError(`${WEIGHTS_FILE} is missing`);
  return applyPatch(base, patch, specs);
}

/** The named tensors, or a `ModelFormatError` naming those missing (after disposing them all). */
export function requireTensors(tensors: tf.NamedTensorMap, names: readonly string[]): void {
  const missing = names.filter((name) => !tensors[name]);
  if (!missing.length) return;
  tf.dispose(Object.values(tensors));
  throw new ModelFormatError(`${WEIGHTS_FILE} lacks ${missing.join(', ')}`);
}
