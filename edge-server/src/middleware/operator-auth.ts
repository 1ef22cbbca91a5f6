/**
 * @module edge-server/middleware/operator-auth — who may use the admin API: the operator's bearer
 * token for everything; a merchant's read-only token (see storage/access) for reading its own
 * site's dashboard, profiles and models, and nothing else.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import type { Access, AccessToken } from '../storage/access';

export type AdminEnv = { Variables: { reader: AccessToken | undefined; authorized: boolean } };

/** What a read-only token may read (with `?site=` its own site). */
const READABLE = [
  /^\/v1\/admin\/dashboard\//,
  /^\/v1\/admin\/whoami$/,
  /^\/v1\/admin\/profiles(\.csv)?$/,
  /^\/v1\/admin\/models$/,
  /^\/v1\/admin\/retention-policy$/,
];

/** Compares in constant time so the token cannot be guessed a character at a time from response times. */
function same(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function operatorAuth({ token, access }: { token: string; access?: Access }): MiddlewareHandler<AdminEnv> {
  return async function operatorAuthMiddleware(c, next) {
    // Several route groups guard /v1/admin/*; the first to run decides.
    if (c.get('authorized')) return next();
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match && same(match[1], token)) {
      c.set('authorized', true);
      return next();
    }
    const reader = match && access ? await access.find(match[1]) : undefined;
    if (!reader) {
      c.header('WWW-Authenticate', 'Bearer realm="aisle"');
      throw new ApiError(401, match ? 'invalid operator token' : 'missing operator token', [
        { path: 'header Authorization', message: 'send Authorization: Bearer OPERATOR_TOKEN (or a read-only token)' },
      ]);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new ApiError(403, 'read-only token', [
        { path: 'header Authorization', message: `a read-only token cannot ${c.req.method} ${c.req.path}` },
      ]);
    }
    if (!READABLE.some((p) => p.test(c.req.path))) {
      throw new ApiError(403, 'read-only token', [
        { path: 'header Authorization', message: `${c.req.path} needs the operator token` },
      ]);
    }
    const site = c.req.query('site');
    if (site !== undefined && site !== reader.site) {
      throw new ApiError(403, 'not this token’s site', [
        { path: 'site', message: `this token reads site ${reader.site} only` },
      ]);
    }
    c.set('authorized', true);
    c.set('reader', reader);
    return next();
  };
}
