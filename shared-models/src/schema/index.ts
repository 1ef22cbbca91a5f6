/** @module shared-models/schema — the event schema and its validator. */
export * from './constants';
export { type AisleEvent, type AisleItem, EventSchema, ItemSchema, tsError } from './event';
export { uuidv7 } from './ids';
export type { Interaction } from './interaction';
export { type BatchValidation, type FieldError, type RejectedEvent, validateBatch, validateEvent } from './validate';
