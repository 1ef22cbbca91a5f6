/** @module shared-models/models/format-error — the error for files that are verified yet do not make the model they claim to be. */

/** Thrown when verified files still do not make the model they claim to be. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}
