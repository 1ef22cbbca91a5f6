/** @module shared-models/schema/validate — validates a batch of events and says what was wrong and where. */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { type AisleEvent, crossFieldIssues, EventFieldsSchema, EventSchema, type FieldError, tsError } from './event';

export type { FieldError };

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

/**
 * Zod's default for a missing field reads "expected string, received undefined"; say it plainly.
 * Rewritten here, on failures only: a per-parse error map would turn off Zod's compiled fast path.
 */
const plain = (issue: z.core.$ZodIssue) =>
  issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? 'is required' : issue.message;

const toFieldErrors = (issues: z.core.$ZodIssue[]): FieldError[] =>
  issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: plain(issue) }));

const isOverLong = (issue: z.core.$ZodIssue) => issue.code === 'too_big' && issue.origin === 'string';

/** The compiled check; null where the page's policy forbids compiling code (an extension's content script). */
let compiled: ValidateFunction<AisleEvent> | null | undefined;

/**
 * The fast path: the same field rules, generated from the Zod schema as JSON Schema and compiled by
 * Ajv into straight-line code, ten times faster than Zod on a valid event. It only says yes or no;
 * anything it refuses goes through Zod, whose messages name what is wrong. Both count string
 * lengths in code points, so they draw every limit at the same place; a test holds them together.
 */
function fastCheck(): ValidateFunction<AisleEvent> | null {
  if (compiled === undefined) {
    try {
      const ajv = new Ajv2020({ strict: false, validateFormats: false, logger: false });
      compiled = ajv.compile<AisleEvent>(z.toJSONSchema(EventFieldsSchema, { io: 'input' }));
    } catch {
      // No eval here (a Content-Security-Policy without 'unsafe-eval'): Zod alone decides.
      compiled = null;
    }
  }
  return compiled;
}

/** Whether the compiled fast path alone accepts `input` at time `now`; exported for the test that holds it to Zod. */
export const acceptsFast = (input: unknown, now: number): input is AisleEvent => {
  const fast = fastCheck();
  return !!fast && fast(input) && !crossFieldIssues(input).length && !tsError(input.ts, now);
};

/** Checks one event; `errors` is empty when it is valid, and `overLong` flags strings past their limit. */
function check(input: unknown, now: number): { event?: AisleEvent; errors: FieldError[]; overLong: FieldError[] } {
  if (acceptsFast(input, now)) {
    return { event: input, errors: [], overLong: [] };
  }
  const result = EventSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues;
    return { errors: toFieldErrors(issues), overLong: toFieldErrors(issues.filter(isOverLong)) };
  }
  const ts = tsError(result.data.ts, now);
  return ts
    ? { errors: [{ path: 'ts', message: ts }], overLong: [] }
    : { event: result.data, errors: [], overLong: [] };
}

/** Validates one event at time `now`; `errors` is empty when it is valid. */
export function validateEvent(input: unknown, now: number = Date.now()): { event?: AisleEvent; errors: FieldError[] } {
  const { event, errors } = check(input, now);
  return { event, errors };
}

/** Validates every event in a batch, keeping the valid ones and naming the problems of the rest. */
export function validateBatch(inputs: readonly unknown[], now: number = Date.now()): BatchValidation {
  const out: BatchValidation = { valid: [], validIndexes: [], rejected: [], overLong: [] };
  inputs.forEach((input, index) => {
    const { event, errors, overLong } = check(input, now);
    if (event) {
      out.valid.push(event);
      out.validIndexes.push(index);
      return;
    }
    if (overLong.length) out.overLong.push({ index, errors: overLong });
    out.rejected.push({ index, errors });
  });
  return out;
}
