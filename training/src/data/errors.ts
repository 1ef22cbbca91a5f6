/** @module training/data/errors — a problem with the operator's input, reported as one line and a non-zero exit. */

/** Bad input to a command: a missing file, an unknown column, empty data, a value of the wrong type. */
export class DataError extends Error {
  override name = 'DataError';
}
