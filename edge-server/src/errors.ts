/** @module edge-server/errors — one error type for every refusal, and the one handler that turns it into JSON. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Where and what: `index` is the event's place in the batch, `path` the field (`items.0.price`). */
export interface ErrorDetail {
  index?: number;
  path: string;
  message: string;
}

/** A refusal the client can act on: a 4xx (or 5xx) with `{ error, details }`. */
export class ApiError extends HTTPException {
  readonly details: ErrorDetail[];
  constructor(status: ContentfulStatusCode, message: string, details: ErrorDetail[] = [], cause?: unknown) {
    super(status, { message, cause });
    this.details = details;
  }
}

/** `app.onError`: known refusals as they are, anything else as a 500 that leaks nothing. */
export function handleError(err: Error, c: Context) {
  if (err instanceof ApiError) return c.json({ error: err.message, details: err.details }, err.status);
  if (err instanceof HTTPException) {
    return c.json({ error: err.message || 'request refused', details: [] }, err.status as ContentfulStatusCode);
  }
  console.error('[edge] unhandled error', err);
  return c.json({ error: 'internal error', details: [] }, 500);
}
