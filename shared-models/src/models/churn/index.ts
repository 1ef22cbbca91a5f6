/** @module shared-models/models/churn — who is about to leave, how likely, and why. */
export { type ChurnModel, createChurnModel } from './model';
export { churnNetwork } from './network';
export type { ChurnArchitecture, ChurnManifest, ChurnScore, Reason } from './types';
