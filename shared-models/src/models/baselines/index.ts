/** @module shared-models/models/baselines — popularity, item-kNN, first-order Markov, buy-again and session-kNN (SKNN, V-SKNN) next-item rankers. */
export { fitBuyAgain } from './buy-again';
export { addNeighbourScores, fitItemKnn, type ItemKnn, type ItemKnnConfig, similarityTable } from './item-knn';
export { fitMarkov } from './markov';
export { fitPopularity, itemCounts } from './popularity';
export { fitSessionKnn, type SessionIndex, type SessionKnnConfig, sessionIndex } from './session-knn';
export type { NextItemScorer } from './types';
