/**
 * @module edge-server/api/route — every API route declared once: its method, path, who may call it,
 * the Zod schemas its handler parses with, and its answers. `route()` registers the handler with
 * Hono (behind the access check the declaration names) and the same declaration in the app's
 * OpenAPI registry, from which `/v1/openapi.json` is generated. Input is still read by the
 * handler's own `jsonBody` / `parseInput` (size limits, strict UTF-8, the `{ error, details }`
 * contract), never by a second validator.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env, Handler, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { forOperator, forReaders } from './access';

/**
 * Who may call a route: anyone (`public`); a shopper's browser with its device secret (`shopper`);
 * the operator token or a merchant's read-only token for its own site (`read`); the operator only.
 */
export type Access = 'public' | 'shopper' | 'read' | 'operator';

type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec {
  method: Method;
  /** Hono's form: `/v1/admin/models/:name/versions`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  query?: z.ZodObject;
  /** A JSON body parsed with this schema; `binary` for raw bytes (a shard). */
  body?: z.ZodType | 'binary';
  /** Status → what it means, and the JSON it carries when that is worth describing. */
  responses: Record<number, string | { description: string; schema?: z.ZodType; type?: string }>;
}

/** The body of every refusal (see `errors.ts`). */
export const ErrorBody = z.object({
  error: z.string(),
  details: z.array(z.object({ index: z.number().int().optional(), path: z.string(), message: z.string() })),
});

const REFUSALS: Record<Access, Record<number, string>> = {
  public: { 400: 'bad input (the details name each fault)', 429: 'too many requests' },
  shopper: { 400: 'bad input', 401: 'no or unknown device secret', 429: 'too many requests' },
  read: {
    400: 'bad input',
    401: 'no or invalid token',
    403: 'a read-only token for another site',
    404: 'no such site',
  },
  operator: {
    400: 'bad input',
    401: 'no or invalid token',
    403: 'a read-only token (this route needs the operator token)',
  },
};

const SECURITY: Record<Access, Record<string, string[]>[] | undefined> = {
  public: undefined,
  shopper: [{ device: [] }],
  read: [{ operator: [] }, { reader: [] }],
  operator: [{ operator: [] }],
};

/** `/a/:b/:c` → `/a/{b}/{c}` and the parameters' schema. */
function pathParams(path: string): { openapiPath: string; params?: z.ZodObject } {
  const names = [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  return {
    openapiPath: path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}'),
    params: names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined,
  };
}

/** Registers the handlers (middleware first) for `spec` on `app`, behind the access check it declares, and documents it. */
export function route<E extends Env, P extends string>(
  app: OpenAPIHono<E>,
  spec: RouteSpec & { path: P },
  ...handlers: [...MiddlewareHandler<E, P>[], Handler<E, P>]
): void {
  const { openapiPath, params } = pathParams(spec.path);
  const responses = Object.fromEntries(
    Object.entries({ ...REFUSALS[spec.access], ...spec.responses }).map(([status, answer]) => {
      const a = typeof answer === 'string' ? { description: answer } : answer;
      const refusal = Number(status) >= 400;
      const schema = a.schema ?? (refusal ? ErrorBody : undefined);
      const type = a.type ?? 'application/json';
      return [status, { description: a.description, ...(schema ? { content: { [type]: { schema } } } : {}) }];
    }),
  );
  const body =
    spec.body === 'binary'
      ? { content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } }, required: true }
      : spec.body
        ? { content: { 'application/json': { schema: spec.body } }, required: true }
        : undefined;
  app.openAPIRegistry.registerPath({
    method: spec.method,
    path: openapiPath,
    summary: spec.summary,
    description: spec.description,
    tags: [spec.tag],
    security: SECURITY[spec.access],
    request: { params, query: spec.query, body },
    responses,
    'x-aisle-access': spec.access,
  } as Parameters<typeof app.openAPIRegistry.registerPath>[0]);
  const guard = spec.access === 'operator' ? forOperator : spec.access === 'read' ? forReaders : undefined;
  const all = guard ? [guard as unknown as MiddlewareHandler<E, P>, ...handlers] : handlers;
  app.on(spec.method.toUpperCase(), spec.path, ...(all as [Handler<E, P>]));
}
