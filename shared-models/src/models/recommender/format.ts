/**
 * @module shared-models/models/recommender/format — the recommender's files: `model.json`
 * (`aisle-sasrec`, the configuration and TF.js weight specs) and `weights.bin` (SASRec's weights,
 * the item-kNN neighbour table, item popularity and the items' category, price band and coldness).
 */
import * as tf from '@tensorflow/tfjs';
import { decodeTensors, encodeTensors, type ModelFiles, ModelFormatError, requireTensors } from '../files';
import type { QuantDtype, QuantPin } from '../quantize';
import type { ContentTable } from './content';
import { weightShapes } from './encoder';
import { LIGHTGCN_HOPS } from './lightgcn';
import { createRecommenderModel, type NeighbourTable, type RecommenderManifest, type RecommenderModel } from './model';
import { ARCHS, type SasRecWeights } from './sasrec';
import { SRGNN_LIMITS } from './srgnn';

export const RECOMMENDER_FORMAT = 'aisle-sasrec';

/** What a trained recommender is made of. */
export interface RecommenderParts {
  manifest: Pick<RecommenderManifest, 'config'>;
  weights: SasRecWeights;
  neighbours: NeighbourTable;
  popularity: Float32Array;
  content: ContentTable;
  /** Tensors written in fewer bits (by name), as the trainer chose them; the rest float32 / int32. */
  quantization?: Record<string, QuantDtype>;
  /** An earlier version's levels by tensor, kept where they still hold (so unchanged rows keep their bytes). */
  pins?: Record<string, QuantPin>;
}

export async function encodeRecommender(parts: RecommenderParts): Promise<Map<string, Uint8Array>> {
  const { manifest, weights, neighbours, popularity, content } = parts;
  const c = manifest.config;
  const tables: tf.NamedTensorMap = {
    knn_items: tf.tensor2d(neighbours.items, [c.items, neighbours.width], 'int32'),
    knn_similarity: tf.tensor2d(neighbours.similarity, [c.items, neighbours.width]),
    popularity: tf.tensor1d(popularity),
    item_category: tf.tensor1d(content.category, 'int32'),
    item_band: tf.tensor1d(content.band, 'int32'),
    item_coldness: tf.tensor1d(content.coldness),
  };
  try {
    return await encodeTensors(
      RECOMMENDER_FORMAT,
      { ...weights, ...tables },
      { config: c },
      parts.quantization,
      parts.pins,
    );
  } finally {
    tf.dispose(Object.values(tables));
  }
}

/** The model the files hold, with its weights frozen (a loaded model is never trained further). */
export async function decodeRecommender(files: ModelFiles, manifest: RecommenderManifest): Promise<RecommenderModel> {
  const c = manifest.config;
  if (!c || ![c.items, c.types, c.maxLen, c.dim, c.blocks].every((n) => Number.isInteger(n) && n > 0)) {
    throw new ModelFormatError('the manifest has no valid SASRec config');
  }
  if (c.arch !== undefined && !ARCHS.includes(c.arch))
    throw new ModelFormatError(
      `the manifest's network "${String(c.arch)}" is none this device knows (${ARCHS.join(', ')})`,
    );
  // SR-GNN's steps and window are in no tensor's shape: bounded here, or a manifest could make every ranking endless.
  if (c.arch === 'srgnn' && (c.blocks > SRGNN_LIMITS.steps || c.maxLen > SRGNN_LIMITS.window))
    throw new ModelFormatError(
      `SR-GNN's config asks for ${c.blocks} steps over ${c.maxLen} items; at most ${SRGNN_LIMITS.steps} steps over ${SRGNN_LIMITS.window}`,
    );
  if (c.arch === 'lightgcn' && c.blocks > LIGHTGCN_HOPS)
    throw new ModelFormatError(`LightGCN's config asks for ${c.blocks} hops; at most ${LIGHTGCN_HOPS}`);
  if (c.decay !== undefined && !(typeof c.decay === 'number' && c.decay > 0 && c.decay <= 1))
    throw new ModelFormatError(`the config's decay ${JSON.stringify(c.decay)} is not a number in (0, 1]`);
  const { tensors } = decodeTensors(files, RECOMMENDER_FORMAT);
  const shapes = weightShapes(c);
  requireTensors(tensors, [...shapes.map(([name]) => name), 'knn_items', 'knn_similarity', 'popularity']);
  const wrong = shapes.find(([name, shape]) => !tf.util.arraysEqual(tensors[name].shape, shape));
  if (wrong) {
    const [name, shape] = wrong;
    const found = tensors[name].shape;
    tf.dispose(Object.values(tensors));
    throw new ModelFormatError(`weights.bin's ${name} is [${found}], the config makes it [${shape}]`);
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
