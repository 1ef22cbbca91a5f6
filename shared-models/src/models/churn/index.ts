/** @module shared-models/models/churn — who is about to leave, how likely, and why. */

export { decodeChurn, encodeChurn } from './format';
export { type ChurnModel, createChurnModel } from './model';
export { averageNetwork, churnNetwork, type Member } from './network';
export { churnStory, STORY_MAX } from './story';
export type {
  ChurnArchitecture,
  ChurnManifest,
  ChurnScore,
  CustomerValueModel,
  Reason,
  ValueMetrics,
} from './types';

import { loader } from '../load';
import { decodeChurn } from './format';
import type { ChurnModel } from './model';
import type { ChurnManifest } from './types';

/** The churn model from its manifest and files, verified (signature with `keys`, every shard's hash). */
export const load = loader<ChurnManifest, ChurnModel>('churn', decodeChurn);
