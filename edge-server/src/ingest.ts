/**
 * @module edge-server/ingest — what `POST /v1/events` does with a request body: parse it, check its
 * shape and size, validate every event, store the valid ones, and say what was wrong with the rest.
 *
 * Free of HTTP and of any thread: the route runs it on the main thread, and the SQLite store runs
 * the same function on its writer thread, next to the connection that stores the rows.
 */
import { LIMITS } from '@aisle/shared-models/schema/constants';
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { mayHoldBadText } from '@aisle/shared-models/schema/text';
import { type RejectedEvent, validateBatch } from '@aisle/shared-models/schema/validate';
import type { ErrorDetail } from './errors';
import { NotUtf8Error, parseBody } from './json-body';

/** A refusal of the whole request, turned into `{ error, details }` with this status by the route. */
export interface Refusal {
  status: 400 | 413;
  error: string;
  details: ErrorDetail[];
}

/** The answer to an accepted request: valid events of a mixed batch are kept. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

export type IngestOutcome = { ok: true; result: IngestResult } | ({ ok: false } & Refusal);

/** The valid events of a request body and the reasons for the rest, or why the whole request is refused. */
export function checkBody(
  body: Uint8Array | string,
  receivedAt: number,
): { ok: true; valid: AisleEvent[]; rejected: RejectedEvent[] } | ({ ok: false } & Refusal) {
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : parseBody(body);
  } catch (cause) {
    if (cause instanceof NotUtf8Error) return refuse(400, cause.message, [{ path: '', message: cause.detail }]);
    return refuse(400, 'request body is not valid JSON', [{ path: '', message: (cause as Error).message }]);
  }
  const events = (parsed as { events?: unknown } | null)?.events;
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(events)) {
    return refuse(400, 'request body must be { "events": [...] }', [{ path: 'events', message: 'expected an array' }]);
  }
  if (events.length > LIMITS.batchEvents) {
    return refuse(413, 'too many events in one request', [
      { path: 'events', message: `got ${events.length}, at most ${LIMITS.batchEvents} per request` },
    ]);
  }
  const checked = validateBatch(events, receivedAt, { checkText: mayHoldBadText(body) });
  // A string over its limit is a broken client or abuse, not a typo: refuse the request and name
  // the events, so that a well-behaved client drops exactly those and resends the rest.
  if (checked.overLong.length) {
    return refuse(
      400,
      'field too long',
      checked.overLong.flatMap((r) => r.errors.map((e) => ({ index: r.index, ...e }))),
    );
  }
  return { ok: true, valid: checked.valid, rejected: checked.rejected };
}

/** `checkBody`, then the valid events stored through `insert` (which returns how many were new). */
export async function ingestBody(
  body: Uint8Array | string,
  receivedAt: number,
  insert: (events: AisleEvent[]) => number | Promise<number>,
): Promise<IngestOutcome> {
  const checked = checkBody(body, receivedAt);
  if (!checked.ok) return checked;
  return ingestResult(checked, checked.valid.length ? await insert(checked.valid) : 0);
}

/** The answer to a checked body once `accepted` of its valid events were new. */
export function ingestResult(
  checked: { valid: readonly AisleEvent[]; rejected: RejectedEvent[] },
  accepted: number,
): IngestOutcome {
  return { ok: true, result: { accepted, duplicates: checked.valid.length - accepted, rejected: checked.rejected } };
}

function refuse(status: Refusal['status'], error: string, details: ErrorDetail[]): { ok: false } & Refusal {
  return { ok: false, status, error, details };
}
