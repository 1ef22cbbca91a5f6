/** @module training/commands/command — what a CLI command declares, and the errors that end one. */
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  /** One line for `aisle --help`. */
  summary: string;
  /** The synopsis and the options, for `aisle COMMAND --help`. */
  help: string;
  options: Options;
  /** The value one word after the command fills (`aisle rollback NAME`), when the command takes one. */
  positional?: string;
  run(values: Values): Promise<void>;
}

/** The command line itself is wrong: an unknown command or option, a missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A whole number of at least `min` from option `name`, or its default. */
export function intOption(values: Values, name: string, fallback: number, min = 1): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${raw}"`);
  return n;
}

/** The string value of option `name`; a `UsageError` when it is required and missing. */
export function stringOption(values: Values, name: string, required: true): string;
export function stringOption(values: Values, name: string, required?: false): string | undefined;
export function stringOption(values: Values, name: string, required = false): string | undefined {
  const v = values[name];
  if (typeof v === 'string' && v) return v;
  if (required) throw new UsageError(`missing --${name}`);
  return undefined;
}
