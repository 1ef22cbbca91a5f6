/** @module shared-models/models — model definitions, their manifests and the next-item baselines (imports TensorFlow.js). */
export * from './anomaly';
export * from './baselines';
export * from './churn';
export * from './manifest';
export * from './profile';
export * from './recommender';
