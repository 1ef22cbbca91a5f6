/** @module shared-models/features — feature code shared by the trainer and the browser. */
export * from './behaviour';
export * from './profile';
export * from './session';
export * from './tabular';
export * from './vocabulary';
