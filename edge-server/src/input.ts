/** @module edge-server/input — what every JSON route does with its input: parse it, check it against a schema, find the site it names; a JSON 4xx that says where otherwise. */
import type { z } from 'zod';
import { ApiError } from './errors';
import type { Storage } from './storage';

/** The request body as JSON; a 400 naming the parse error otherwise. */
export async function jsonBody(req: { text(): Promise<string> }): Promise<unknown> {
  try {
    return JSON.parse(await req.text());
  } catch (cause) {
    throw new ApiError(400, 'request body is not valid JSON', [{ path: '', message: (cause as Error).message }]);
  }
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
