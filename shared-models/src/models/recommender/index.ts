/**
 * @module shared-models/models/recommender — the sequential recommender (SASRec with event types) and
 * its trainable embedding, its format and `load()`. What only training needs (`initWeights`,
 * `sequenceLoss`) is not here but in `./sasrec-train`, which the device never imports.
 */
export {
  type ContentTable,
  contentScores,
  priceBand,
  priceBandEdges,
  recentPresence,
} from './content';
export { embed } from './embedding';
export { archDefaults, archOf, encodeHistories, type HistoryEncoder, prepareEncoder, weightShapes } from './encoder';
export { decodeRecommender, encodeRecommender, RECOMMENDER_FORMAT, type RecommenderParts } from './format';
export {
  answerFor,
  CANDIDATES_FILE,
  type CandidateAnswer,
  type Candidates,
  type CandidateTable,
  candidatesOf,
  candidateTable,
  cutHead,
  decodeCandidates,
  encodeCandidates,
  type HeadInfo,
  headIndexes,
  type MerkleLevel,
  merkleLevels,
  merkleRoot,
  verifyCandidates,
} from './head';
export {
  createRecommenderModel,
  type ExtraItems,
  type NeighbourTable,
  padWindow,
  type RankOptions,
  type RecommenderManifest,
  type RecommenderModel,
  topOf,
} from './model';
export {
  ARCHS,
  type Arch,
  DEFAULT_SASREC,
  encode,
  itemScores,
  type SasRecConfig,
  type SasRecWeights,
  sasrecShapes,
} from './sasrec';
export { encodeLast, type InferenceWeights, prepareInference } from './sasrec-infer';
export {
  type CandidateSource,
  contextShare,
  extraItems,
  type HistoryEvent,
  inCart,
  interactionsOf,
  RECENT_CANDIDATES,
  type Recommendation,
  type RecommendationServer,
  type RecommendRules,
  recommendationServer,
  type Served,
  SIGNALS,
  type Signal,
} from './serve';

import { loader } from '../load';
import { decodeRecommender } from './format';
import type { RecommenderManifest, RecommenderModel } from './model';

/** The recommender from its manifest and files, verified (signature with `keys`, every shard's hash) and frozen. */
export const load = loader<RecommenderManifest, RecommenderModel>('recommender', decodeRecommender);
