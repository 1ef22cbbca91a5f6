/** @module shared-models/schema — the event schema and its validator. */
export * from './constants';
export { type AisleEvent, type AisleItem, eventSchema, ItemSchema } from './event';
export { type BatchValidation, type FieldError, type RejectedEvent, validateBatch, validateEvent } from './validate';
