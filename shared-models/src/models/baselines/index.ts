/** @module shared-models/models/baselines — popularity, item-kNN, first-order Markov and buy-again next-item rankers. */
export { fitBuyAgain } from './buy-again';
export { addNeighbourScores, fitItemKnn, type ItemKnn, type ItemKnnConfig, similarityTable } from './item-knn';
export { fitMarkov } from './markov';
export { fitPopularity, itemCounts } from './popularity';
export type { NextItemScorer } from './types';
