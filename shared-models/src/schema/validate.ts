/** @module shared-models/schema/validate — validates a batch of events and says what was wrong and where. */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { type AisleEvent, crossFieldIssues, EventFieldsSchema, EventSchema, type FieldError, tsError } from './event';
import { BAD_TEXT_MESSAGE, badTextPath } from './text';

export type { FieldError };

export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

export interface ValidateOptions {
  /**
   * Whether strings may hold a NUL or an unpaired surrogate, and must be walked to find them
   * (default true). The ingest passes false for a body with no `\u` escape: see `mayHoldBadText`.
   */
  checkText?: boolean;
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

/**
 * JSON Schema's `number` takes Infinity, which `JSON.parse('1e400')` makes, and Zod does not: each
 * unbounded number gets the largest finite bounds, so the compiled check draws Zod's line.
 */
function finiteNumbers<T>(schema: T): T {
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'number' || n.type === 'integer') {
      n.maximum ??= Number.MAX_VALUE;
      n.minimum ??= -Number.MAX_VALUE;
    }
    for (const v of Object.values(n)) visit(v);
  };
  visit(schema);
  return schema;
}

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
      compiled = ajv.compile<AisleEvent>(finiteNumbers(z.toJSONSchema(EventFieldsSchema, { io: 'input' })));
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

/**
 * A valid event as it is kept: the event id in lower case, as RFC 9562 writes a UUID (and as
 * PostgreSQL's `uuid` type compares them), so an upper-case copy is the same event on every store.
 */
function canonical(event: AisleEvent): AisleEvent {
  const id = event.event_id.toLowerCase();
  if (id !== event.event_id) event.event_id = id;
  return event;
}

/** Checks one event; `errors` is empty when it is valid, and `overLong` flags strings past their limit. */
function check(
  input: unknown,
  now: number,
  checkText: boolean,
): { event?: AisleEvent; errors: FieldError[]; overLong: FieldError[] } {
  const bad = checkText ? badTextPath(input) : undefined;
  const text: FieldError[] = bad === undefined ? [] : [{ path: bad, message: BAD_TEXT_MESSAGE }];
  if (!text.length && acceptsFast(input, now)) {
    return { event: canonical(input), errors: [], overLong: [] };
  }
  const result = EventSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues;
    return { errors: [...text, ...toFieldErrors(issues)], overLong: toFieldErrors(issues.filter(isOverLong)) };
  }
  const ts = tsError(result.data.ts, now);
  if (ts) return { errors: [...text, { path: 'ts', message: ts }], overLong: [] };
  return text.length ? { errors: text, overLong: [] } : { event: canonical(result.data), errors: [], overLong: [] };
}

/** Validates one event at time `now`; `errors` is empty when it is valid. */
export function validateEvent(
  input: unknown,
  now: number = Date.now(),
  { checkText = true }: ValidateOptions = {},
): { event?: AisleEvent; errors: FieldError[] } {
  const { event, errors } = check(input, now, checkText);
  return { event, errors };
}

/** Validates every event in a batch, keeping the valid ones and naming the problems of the rest. */
export function validateBatch(
  inputs: readonly unknown[],
  now: number = Date.now(),
  { checkText = true }: ValidateOptions = {},
): BatchValidation {
  const out: BatchValidation = { valid: [], validIndexes: [], rejected: [], overLong: [] };
  inputs.forEach((input, index) => {
    const { event, errors, overLong } = check(input, now, checkText);
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
