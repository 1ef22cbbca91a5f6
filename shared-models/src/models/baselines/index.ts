/** @module shared-models/models/baselines — popularity, item-kNN and first-order Markov next-item rankers. */
export { addNeighbourScores, fitItemKnn, type ItemKnn, type ItemKnnConfig, similarityTable } from './item-knn';
export { fitMarkov } from './markov';
export { fitPopularity, itemCounts } from './popularity';
export type { NextItemScorer } from './types';
