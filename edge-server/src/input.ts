/** @module edge-server/input — what every JSON route does with its input: parse it, check it against a schema, find the site it names; a JSON 4xx that says where otherwise. */

import { BAD_TEXT_MESSAGE, badTextPath } from '@aisle/shared-models/schema/text';
import type { Context } from 'hono';
import type { z } from 'zod';
import { JSON_BYTES, readBody } from './body';
import { ApiError } from './errors';
import { decodeUtf8, NotUtf8Error } from './json-body';
import type { Storage } from './storage';

/**
 * The request body as JSON, at most `maxBytes` of it (default 64 KiB; a 413 past that); a 400
 * when it is not UTF-8, not JSON, or holds a string no store can keep (a NUL, half an emoji).
 */
export async function jsonBody(c: Context, maxBytes = JSON_BYTES): Promise<unknown> {
  const bytes = await readBody(c, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(bytes));
  } catch (cause) {
    if (cause instanceof NotUtf8Error) throw new ApiError(400, cause.message, [{ path: '', message: cause.detail }]);
    throw new ApiError(400, 'request body is not valid JSON', [{ path: '', message: (cause as Error).message }]);
  }
  const bad = badTextPath(parsed);
  if (bad !== undefined) throw new ApiError(400, 'invalid input', [{ path: bad, message: BAD_TEXT_MESSAGE }]);
  return parsed;
}

/** `input` checked against `schema`; a 400 with every issue and its path otherwise. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ApiError(
    400,
    'invalid input',
    r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

/** A 404 unless `site` is registered. */
export async function requireSite(storage: Storage, site: string): Promise<void> {
  if (!(await storage.getSite(site))) {
    throw new ApiError(404, 'no such site', [{ path: 'site', message: `no site ${site} on this server` }]);
  }
}
