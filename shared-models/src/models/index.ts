/**
 * @module shared-models/models — every model, each under its own name with its `load()`, its
 * format (`encodeX` / `decodeX`) and its types, as tfjs-models does (`models.churn.load(…)`); the
 * manifest, signing and the next-item baselines beside them. Imports TensorFlow.js.
 */
export * as anomaly from './anomaly';
export * from './baselines';
export * as catalog from './catalog';
export * as churn from './churn';
export * from './files';
export * from './load';
export * from './manifest';
export * as profile from './profile';
export * as recommender from './recommender';
export * from './signing';
