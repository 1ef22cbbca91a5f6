/**
 * @module training/recommender-files — the recommender's directory: `model.json` (its configuration
 * and TF.js weight specs), `weights.bin` (SASRec's weights, the item-kNN neighbour table, item
 * popularity and the items' category, price band and coldness, in TF.js's weight format), and
 * `manifest.json`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  createRecommenderModel,
  type RecommenderManifest,
  type RecommenderModel,
} from '../../shared-models/src/models/recommender/model';
import { weightShapes } from '../../shared-models/src/models/recommender/sasrec';
import { DataError } from './data/errors';
import { arrayBufferOf, loadFiles, saveFiles } from './model-files';
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
  const model = JSON.parse(new TextDecoder().decode(files.get(MODEL))) as {
    format: string;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  if (model.format !== 'aisle-sasrec') throw new DataError(`${dir}: ${MODEL} is not an Aisle recommender`);
  const tensors = tf.io.decodeWeights(
    arrayBufferOf(files.get(WEIGHTS) as Uint8Array),
    model.weightsManifest[0].weights,
  );
  const weights = Object.fromEntries(weightShapes(manifest.config).map(([name]) => [name, tensors[name]]));
  const missing = weightShapes(manifest.config).filter(([name]) => !tensors[name]);
  if (missing.length) throw new DataError(`${dir}: weights.bin lacks ${missing.map(([n]) => n).join(', ')}`);
  const knnItems = tensors.knn_items;
  const neighbours = {
    items: (await knnItems.data()) as Int32Array,
    similarity: (await tensors.knn_similarity.data()) as Float32Array,
    width: knnItems.shape[1] as number,
  };
  const popularity = (await tensors.popularity.data()) as Float32Array;
  // Models from before the content signal have no item table: they score without it.
  const content = tensors.item_category
    ? {
        category: (await tensors.item_category.data()) as Int32Array,
        band: (await tensors.item_band.data()) as Int32Array,
        coldness: (await tensors.item_coldness.data()) as Float32Array,
      }
    : undefined;
  tf.dispose(
    ['knn_items', 'knn_similarity', 'popularity', 'item_category', 'item_band', 'item_coldness']
      .map((n) => tensors[n])
      .filter(Boolean),
  );
  return createRecommenderModel(weights, manifest, neighbours, popularity, content);
}
