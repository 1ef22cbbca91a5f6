/**
 * @module edge-server/api/access — who may use the admin API. `authenticate` (run once, in front of
 * the whole `/v1/admin` sub-app) knows the caller: the operator's bearer token, or a merchant's
 * read-only token (see storage/access); anyone else gets a 401. Each route then says itself who may
 * call it (`route({ access })`): `forOperator` turns a read-only token away, `forReaders` lets it
 * read its own site.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import type { Access, AccessToken } from '../storage/access';

export type AdminEnv = { Variables: { reader: AccessToken | undefined } };

/** Compares in constant time so the token cannot be guessed a character at a time from response times. */
function same(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticate({ token, access }: { token: string; access?: Access }): MiddlewareHandler<AdminEnv> {
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match && same(match[1], token)) {
      c.set('reader', undefined);
      return next();
    }
    const reader = match && access ? await access.find(match[1]) : undefined;
    if (!reader) {
      c.header('WWW-Authenticate', 'Bearer realm="aisle"');
      throw new ApiError(401, match ? 'invalid operator token' : 'missing operator token', [
        { path: 'header Authorization', message: 'send Authorization: Bearer OPERATOR_TOKEN (or a read-only token)' },
      ]);
    }
    c.set('reader', reader);
    return next();
  };
}

/** On a route only the operator may call: a read-only token is turned away. */
export const forOperator: MiddlewareHandler<AdminEnv> = async (c, next) => {
  if (!c.get('reader')) return next();
  const method = c.req.method;
  throw new ApiError(403, 'read-only token', [
    {
      path: 'header Authorization',
      message:
        method === 'GET' || method === 'HEAD'
          ? `${c.req.path} needs the operator token`
          : `a read-only token cannot ${method} ${c.req.path}`,
    },
  ]);
};

/** On a route readers may call: a read-only token reads its own site (`?site=`) and nothing else. */
export const forReaders: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const reader = c.get('reader');
  if (!reader) return next();
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    throw new ApiError(403, 'read-only token', [
      { path: 'header Authorization', message: `a read-only token cannot ${c.req.method} ${c.req.path}` },
    ]);
  }
  const site = c.req.query('site');
  if (site !== undefined && site !== reader.site) {
    throw new ApiError(403, 'not this token’s site', [
      { path: 'site', message: `this token reads site ${reader.site} only` },
    ]);
  }
  return next();
};
