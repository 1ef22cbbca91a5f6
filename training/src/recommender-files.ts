/**
 * @module training/recommender-files — the recommender's directory: its format's files
 * (`encodeRecommender`: `model.json`, `weights.bin`) and `manifest.json`.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeRecommender,
  load,
  type RecommenderManifest,
  type RecommenderModel,
} from '@aisle/shared-models/models/recommender';
import { loadModel, saveModel } from './model-files';
import type { RecommenderTrainResult } from './pipelines/recommender-sasrec';

/** The model's files (and `extra` beside them: a head's `candidates.bin`) and its manifest listing them all. */
export async function saveRecommender(
  dir: string,
  trained: RecommenderTrainResult,
  extra: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<RecommenderManifest> {
  const files = await encodeRecommender(trained);
  for (const [path, bytes] of extra) files.set(path, bytes);
  return saveModel<RecommenderManifest>(dir, files, trained.manifest);
}

/** Where a head model's directory keeps the whole model it was cut from. */
export const WHOLE_DIR = 'whole';

/** The recommender in `dir`; for a head model the whole one beside it, when it is there (the operator's tools rank every item). */
export const loadRecommender = (dir: string): Promise<RecommenderModel> =>
  loadModel(existsSync(join(dir, WHOLE_DIR, 'manifest.json')) ? join(dir, WHOLE_DIR) : dir, load);
