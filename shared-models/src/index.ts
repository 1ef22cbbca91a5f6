/**
 * @module shared-models — the platform-neutral core shared by the browser, the edge and the trainer.
 * The models (which import TensorFlow.js) are in `./models`, kept out of this entry so that code
 * needing only the schema never loads them.
 */
export * from './features';
export * from './schema';
