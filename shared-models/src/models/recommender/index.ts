/** @module shared-models/models/recommender — the sequential recommender (SASRec with event types) and its trainable embedding. */
export {
  type ContentTable,
  contentScores,
  priceBand,
  priceBandEdges,
  recentPresence,
} from './content';
export { embed } from './embedding';
export {
  createRecommenderModel,
  type NeighbourTable,
  padWindow,
  type RecommenderManifest,
  type RecommenderModel,
  topOf,
} from './model';
export {
  DEFAULT_SASREC,
  encode,
  encodeLast,
  type InferenceWeights,
  initWeights,
  itemScores,
  prepareInference,
  type SasRecConfig,
  type SasRecWeights,
  sequenceLoss,
  weightShapes,
} from './sasrec';
