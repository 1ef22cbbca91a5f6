/**
 * @module training/recommender-files — the recommender's directory: `model.json` (its configuration
 * and TF.js weight specs), `weights.bin` (SASRec's weights, the item-kNN neighbour table, item
 * popularity and the items' category, price band and coldness, in TF.js's weight format), and
 * `manifest.json`.
 */

import { ModelFormatError, recommenderFromFiles } from '@aisle/shared-models/models/files';
import type { RecommenderManifest, RecommenderModel } from '@aisle/shared-models/models/recommender';
import * as tf from '@tensorflow/tfjs';
import { DataError } from './data/errors';
import { loadFiles, saveFiles } from './model-files';
import type { RecommenderTrainResult } from './pipelines/recommender-sasrec';

const MODEL = 'model.json';
const WEIGHTS = 'weights.bin';

export async function saveRecommender(dir: string, trained: RecommenderTrainResult): Promise<RecommenderManifest> {
  const { manifest, neighbours, popularity, content } = trained;
  const c = manifest.config;
  const tables: tf.NamedTensorMap = {
    knn_items: tf.tensor2d(neighbours.items, [c.items, neighbours.width], 'int32'),
    knn_similarity: tf.tensor2d(neighbours.similarity, [c.items, neighbours.width]),
    popularity: tf.tensor1d(popularity),
    item_category: tf.tensor1d(content.category, 'int32'),
    item_band: tf.tensor1d(content.band, 'int32'),
    item_coldness: tf.tensor1d(content.coldness),
  };
  const { data, specs } = await tf.io.encodeWeights({ ...trained.weights, ...tables });
  tf.dispose(Object.values(tables));
  const model = new TextEncoder().encode(
    JSON.stringify({ format: 'aisle-sasrec', config: c, weightsManifest: [{ paths: [WEIGHTS], weights: specs }] }),
  );
  return saveFiles<RecommenderManifest>(
    dir,
    [
      [MODEL, model],
      [WEIGHTS, new Uint8Array(data)],
    ],
    manifest,
  );
}

export async function loadRecommender(dir: string): Promise<RecommenderModel> {
  const { files, manifest } = await loadFiles<RecommenderManifest>(dir, 'recommender');
  try {
    return await recommenderFromFiles(files, manifest);
  } catch (error) {
    if (error instanceof ModelFormatError) throw new DataError(`${dir}: ${error.message}`);
    throw error;
  }
}
