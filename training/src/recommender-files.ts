/**
 * @module training/recommender-files — the recommender's directory: its format's files
 * (`encodeRecommender`: `model.json`, `weights.bin`) and `manifest.json`.
 */

import {
  encodeRecommender,
  load,
  type RecommenderManifest,
  type RecommenderModel,
} from '@aisle/shared-models/models/recommender';
import { loadModel, saveModel } from './model-files';
import type { RecommenderTrainResult } from './pipelines/recommender-sasrec';

export async function saveRecommender(dir: string, trained: RecommenderTrainResult): Promise<RecommenderManifest> {
  return saveModel<RecommenderManifest>(dir, await encodeRecommender(trained), trained.manifest);
}

export const loadRecommender = (dir: string): Promise<RecommenderModel> => loadModel(dir, load);
