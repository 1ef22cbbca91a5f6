/** @module training/commands/command — what a CLI command declares, and the errors that end one. */
export type Values = Record<string, string | boolean | undefined>;

/** One option: what value it takes (a placeholder such as FILE; none for a flag), what it means, its default. */
export interface OptionSpec {
  value?: string;
  help: string;
  default?: string;
}

/** A command of the CLI, declared as data: the parser and `--help` are made from it. */
export interface Command {
  /** One line for `aisle --help`. */
  summary: string;
  /** What it does and how, in prose: `aisle COMMAND --help` shows it above the options. */
  description: string;
  /** The forms it is called in, when there is more than one (or one to spell out). */
  usage?: string[];
  options: Record<string, OptionSpec>;
  /** The value one word after the command fills (`aisle rollback NAME`), when the command takes one. */
  positional?: { name: string; help: string };
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
