/** @module edge-server/middleware/operator-auth — the operator's bearer token guards every admin route. */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';

/** Compares in constant time so the token cannot be guessed a character at a time from response times. */
function same(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function operatorAuth({ token }: { token: string }): MiddlewareHandler {
  return async function operatorAuthMiddleware(c, next) {
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !same(match[1], token)) {
      c.header('WWW-Authenticate', 'Bearer realm="aisle"');
      throw new ApiError(401, match ? 'invalid operator token' : 'missing operator token', [
        { path: 'header Authorization', message: 'send Authorization: Bearer OPERATOR_TOKEN' },
      ]);
    }
    await next();
  };
}
