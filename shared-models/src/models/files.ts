/**
 * @module shared-models/models/files — models built from their verified files (`model.json`,
 * `weights.bin`), the same way in the trainer (read from a directory) and on the device (read
 * from IndexedDB or the network). Verification happens before, in `verifyShards`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelManifest } from './manifest';
import { createProfileModel, type ProfileManifest, type ProfileModel } from './profile/model';
import type { ContentTable } from './recommender/content';
import { createRecommenderModel, type RecommenderManifest, type RecommenderModel } from './recommender/model';
import { weightShapes } from './recommender/sasrec';

export type ModelFiles = ReadonlyMap<string, Uint8Array>;

/** Thrown when verified files still do not make the model they claim to be. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

/** The bytes as an ArrayBuffer of their own. */
export const arrayBufferOf = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

const json = <T>(files: ModelFiles, path: string): T => {
  const bytes = files.get(path);
  if (!bytes) throw new ModelFormatError(`${path} is missing`);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
};

/** The named tensors of `model.json`'s weight specs over `weights.bin`. */
export function decodeWeights(files: ModelFiles, format?: string): tf.NamedTensorMap {
  const spec = json<{ format?: string; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] }>(
    files,
    'model.json',
  );
  if (format && spec.format !== format) throw new ModelFormatError(`model.json is ${spec.format}, not ${format}`);
  const weights = files.get('weights.bin');
  if (!weights) throw new ModelFormatError('weights.bin is missing');
  return tf.io.decodeWeights(arrayBufferOf(weights), spec.weightsManifest[0].weights);
}

/** A TF.js Layers network (the churn and anomaly models). */
export async function layersFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  const model = json<{
    modelTopology: tf.io.ModelArtifacts['modelTopology'];
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  }>(files, 'model.json');
  const weights = files.get('weights.bin');
  if (!weights) throw new ModelFormatError('weights.bin is missing');
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology,
      weightSpecs: model.weightsManifest[0].weights,
      weightData: arrayBufferOf(weights),
    }),
  );
}

/** The recommender: SASRec's weights, the kNN table, popularity and (in newer models) the item content table. */
export async function recommenderFromFiles(
  files: ModelFiles,
  manifest: RecommenderManifest,
): Promise<RecommenderModel> {
  const tensors = decodeWeights(files, 'aisle-sasrec');
  const shapes = weightShapes(manifest.config);
  const missing = shapes.filter(([name]) => !tensors[name]);
  if (missing.length) {
    tf.dispose(Object.values(tensors));
    throw new ModelFormatError(`weights.bin lacks ${missing.map(([n]) => n).join(', ')}`);
  }
  const weights = Object.fromEntries(shapes.map(([name]) => [name, tensors[name]]));
  const neighbours = {
    items: (await tensors.knn_items.data()) as Int32Array,
    similarity: (await tensors.knn_similarity.data()) as Float32Array,
    width: tensors.knn_items.shape[1] as number,
  };
  const popularity = (await tensors.popularity.data()) as Float32Array;
  // Models from before the content signal have no item table: they score without it.
  const content: ContentTable | undefined = tensors.item_category
    ? {
        category: (await tensors.item_category.data()) as Int32Array,
        band: (await tensors.item_band.data()) as Int32Array,
        coldness: (await tensors.item_coldness.data()) as Float32Array,
      }
    : undefined;
  const used = new Set(shapes.map(([name]) => name));
  tf.dispose(
    Object.entries(tensors)
      .filter(([name]) => !used.has(name))
      .map(([, t]) => t),
  );
  return createRecommenderModel(weights, manifest, neighbours, popularity, content, true);
}

export type { ModelManifest };

/** The profile model: k-means centroids (and the taste facet's) read into plain arrays. */
export async function profileFromFiles(files: ModelFiles, manifest: ProfileManifest): Promise<ProfileModel> {
  const tensors = decodeWeights(files, 'aisle-kmeans');
  try {
    if (!tensors.centroids) throw new ModelFormatError('weights.bin lacks centroids');
    if (manifest.taste && !tensors.taste_centroids) throw new ModelFormatError('weights.bin lacks taste_centroids');
    const centroids = (await tensors.centroids.data()) as Float32Array;
    const taste = manifest.taste ? ((await tensors.taste_centroids.data()) as Float32Array) : undefined;
    return createProfileModel(manifest, centroids, taste);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
