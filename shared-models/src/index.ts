/** @module shared-models — the platform-neutral core shared by the browser, the edge and the trainer. */
export * from './schema';
