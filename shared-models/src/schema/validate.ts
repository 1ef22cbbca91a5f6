/** @module shared-models/schema/validate — validates a batch of events and says what was wrong and where. */
import type { z } from 'zod';
import { type AisleEvent, eventSchema } from './event';

/** One problem with one field, `path` in dotted form (`items.0.price`). */
export interface FieldError {
  path: string;
  message: string;
}

export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

export interface BatchValidation {
  valid: AisleEvent[];
  /** Index in the batch of each valid event, parallel to `valid`. */
  validIndexes: number[];
  rejected: RejectedEvent[];
  /** Events with a string longer than its limit: a client bug or abuse, so the server refuses the whole request. */
  overLong: RejectedEvent[];
}

function toFieldErrors(issues: z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** Zod's default for a missing field reads "expected string, received undefined"; say it plainly. */
const PARSE_OPTIONS = {
  error: (issue: { code?: string; input?: unknown }) =>
    issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined,
};

const isOverLong = (issue: z.core.$ZodIssue) => issue.code === 'too_big' && issue.origin === 'string';

/** Validates one event; `errors` is empty when it is valid. */
export function validateEvent(input: unknown, now: number = Date.now()): { event?: AisleEvent; errors: FieldError[] } {
  const result = eventSchema(now).safeParse(input, PARSE_OPTIONS);
  return result.success ? { event: result.data, errors: [] } : { errors: toFieldErrors(result.error.issues) };
}

/** Validates every event in a batch, keeping the valid ones and naming the problems of the rest. */
export function validateBatch(inputs: readonly unknown[], now: number = Date.now()): BatchValidation {
  const schema = eventSchema(now);
  const out: BatchValidation = { valid: [], validIndexes: [], rejected: [], overLong: [] };
  inputs.forEach((input, index) => {
    const result = schema.safeParse(input, PARSE_OPTIONS);
    if (result.success) {
      out.valid.push(result.data);
      out.validIndexes.push(index);
      return;
    }
    const issues = result.error.issues;
    const long = issues.filter(isOverLong);
    if (long.length) out.overLong.push({ index, errors: toFieldErrors(long) });
    out.rejected.push({ index, errors: toFieldErrors(issues) });
  });
  return out;
}
