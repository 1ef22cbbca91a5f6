/**
 * @module training/model-files — a model directory: `model.json` (TF.js topology and weight
 * specs), `weights.bin`, and `manifest.json` listing both with their SHA-256. Written by `aisle
 * train`, read back (and verified) by `aisle score` and `aisle eval`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arrayBufferOf, layersFromFiles } from '@aisle/shared-models/models/files';
import { ManifestError, type ModelManifest, sha256Hex, verifyShards } from '@aisle/shared-models/models/manifest';
import * as tf from '@tensorflow/tfjs';
import { DataError } from './data/errors';

const MODEL = 'model.json';
const WEIGHTS = 'weights.bin';
const MANIFEST = 'manifest.json';

/** The next version for a model written to `dir`: one above the version already there, else 1. */
export function nextVersion(dir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as ModelManifest).version + 1;
  } catch {
    return 1;
  }
}

/** Writes the network and its manifest (`shards` filled in here) to `dir`. */
export async function saveModel<M extends ModelManifest>(
  dir: string,
  network: tf.LayersModel,
  manifest: Omit<M, 'shards'>,
): Promise<M> {
  let files: { model: Uint8Array; weights: Uint8Array } | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const model = new TextEncoder().encode(
        JSON.stringify({
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs }],
        }),
      );
      files = { model, weights };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!files) throw new Error('TensorFlow.js saved nothing');
  return saveFiles<M>(
    dir,
    [
      [MODEL, files.model],
      [WEIGHTS, files.weights],
    ],
    manifest,
  );
}

/** Writes `files` (name, bytes) and the manifest listing them with their SHA-256 and size. */
export async function saveFiles<M extends ModelManifest>(
  dir: string,
  files: [string, Uint8Array][],
  manifest: Omit<M, 'shards'>,
): Promise<M> {
  mkdirSync(dir, { recursive: true });
  for (const [path, bytes] of files) writeFileSync(join(dir, path), bytes);
  const shards = await Promise.all(
    files.map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), size: bytes.byteLength })),
  );
  const full = { ...manifest, shards } as M;
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** Reads `dir` and verifies every shard against its manifest; the files by name. */
export async function loadFiles<M extends ModelManifest>(
  dir: string,
  name: M['name'],
): Promise<{ files: Map<string, Uint8Array>; manifest: M }> {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) throw new DataError(`${dir}: no model here (no ${MANIFEST})`);
  let manifest: M;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as M;
  } catch (error) {
    throw new DataError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  if (manifest.name !== name) throw new DataError(`${dir}: holds a ${manifest.name} model, not ${name}`);
  const files = new Map<string, Uint8Array>();
  for (const shard of manifest.shards ?? []) {
    const file = join(dir, shard.path);
    if (existsSync(file)) files.set(shard.path, new Uint8Array(readFileSync(file)));
  }
  try {
    await verifyShards(manifest, files);
  } catch (error) {
    if (error instanceof ManifestError) throw new DataError(`${dir}: ${error.message}; refusing to load it`);
    throw error;
  }
  return { files, manifest };
}

export { arrayBufferOf };

/** Reads `dir`, verifies every shard against the manifest, and builds the Layers network. */
export async function loadModel<M extends ModelManifest>(
  dir: string,
  name: M['name'],
): Promise<{ network: tf.LayersModel; manifest: M }> {
  const { files, manifest } = await loadFiles<M>(dir, name);
  return { network: await layersFromFiles(files), manifest };
}
