/**
 * @module shared-models/models/profile/format — the profile model's files: `model.json`
 * (`aisle-kmeans` and the weight specs) and `weights.bin` (the behaviour centroids, [k, columns],
 * and, with a taste facet, its centroids, [taste k, embedding dim]).
 */
import * as tf from '@tensorflow/tfjs';
import { decodeTensors, encodeTensors, type ModelFiles, ModelFormatError, requireTensors } from '../files';
import { createProfileModel, type ProfileManifest, type ProfileModel } from './model';

export const PROFILE_FORMAT = 'aisle-kmeans';

/** What a trained profile model is made of. */
export interface ProfileParts {
  manifest: Pick<ProfileManifest, 'k' | 'tabular' | 'taste'>;
  centroids: Float32Array;
  taste?: Float32Array;
}

export async function encodeProfile({ manifest, centroids, taste }: ProfileParts): Promise<Map<string, Uint8Array>> {
  const tensors: tf.NamedTensorMap = {
    centroids: tf.tensor2d(centroids, [manifest.k, manifest.tabular.columns.length]),
  };
  if (manifest.taste && taste) tensors.taste_centroids = tf.tensor2d(taste, [manifest.taste.k, manifest.taste.dim]);
  try {
    return await encodeTensors(PROFILE_FORMAT, tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** The profile model: its centroids read into plain arrays (no tensor outlives this call). */
export async function decodeProfile(files: ModelFiles, manifest: ProfileManifest): Promise<ProfileModel> {
  const { tensors } = decodeTensors(files, PROFILE_FORMAT);
  requireTensors(tensors, manifest.taste ? ['centroids', 'taste_centroids'] : ['centroids']);
  try {
    const columns = manifest.tabular?.columns?.length;
    if (!tf.util.arraysEqual(tensors.centroids.shape, [manifest.k, columns])) {
      throw new ModelFormatError(
        `centroids are [${tensors.centroids.shape}], the manifest makes them [${manifest.k},${columns}]`,
      );
    }
    const centroids = (await tensors.centroids.data()) as Float32Array;
    const taste = manifest.taste ? ((await tensors.taste_centroids.data()) as Float32Array) : undefined;
    return createProfileModel(manifest, centroids, taste);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
