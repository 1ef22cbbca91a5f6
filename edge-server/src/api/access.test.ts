/**
 * Who may call what, for every admin route the API declares (read from `/v1/openapi.json`, so a
 * route added later is covered the day it lands): nobody without a token, everybody with the
 * operator's, and a read-only token only on the routes marked `read`, for its own site, to read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../app';
import { openSqlite } from '../storage/sqlite';
import type { Storage } from '../storage/types';

type Operation = { 'x-aisle-access': string };
let storage: Storage;
let app: App;
let reader: string;
let operations: { method: string; path: string; access: string }[];

const TOKEN = 'operator-token-for-tests';
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'x');

beforeAll(async () => {
  storage = openSqlite(':memory:');
  await storage.migrate();
  for (const key of ['mine', 'theirs'])
    await storage.putSite({ key, name: key, origins: ['https://shop.example'], created_at: 1 });
  app = createApp({ storage, operatorToken: TOKEN, rollupEveryMs: 0 });
  reader = (await storage.access.create('mine', 'a merchant', 1)).token;
  const doc = (await (await app.request('/v1/openapi.json')).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, access: op['x-aisle-access'] })),
  );
});
afterAll(async () => {
  await app.stop();
  await storage.close();
});

const call = (method: string, path: string, token?: string) =>
  app.request(concrete(path), {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
  });

describe('the admin sub-app', () => {
  it('declares who may call each of its routes', () => {
    const admin = operations.filter((o) => o.path.startsWith('/v1/admin/'));
    expect(admin.length).toBeGreaterThan(25);
    for (const o of admin) expect(['read', 'operator'], `${o.method} ${o.path}`).toContain(o.access);
  });

  it('turns away every admin request without a valid token, with a JSON 401', async () => {
    for (const o of operations.filter((x) => x.path.startsWith('/v1/admin/'))) {
      for (const token of [undefined, 'not-a-token']) {
        const res = await call(o.method, o.path, token);
        expect(res.status, `${o.method} ${o.path}`).toBe(401);
        expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
        expect(((await res.json()) as { error: string }).error).toMatch(/operator token/);
      }
    }
  });

  it('lets a read-only token read its own site on the routes marked read, and nothing else', async () => {
    for (const o of operations.filter((x) => x.path.startsWith('/v1/admin/'))) {
      const where = `${o.method} ${o.path}`;
      const own = await call(o.method, `${o.path}?site=mine`, reader);
      if (o.access === 'read' && o.method === 'GET') {
        expect(own.status, where).not.toBe(401);
        expect(own.status, where).not.toBe(403);
        const other = await call(o.method, `${o.path}?site=theirs`, reader);
        expect(other.status, where).toBe(403);
        expect(await other.json()).toMatchObject({ details: [{ path: 'site' }] });
      } else {
        expect(own.status, where).toBe(403);
        expect(((await own.json()) as { error: string }).error).toBe('read-only token');
      }
    }
  });

  it('lets the operator through on every route', async () => {
    for (const o of operations.filter((x) => x.path.startsWith('/v1/admin/'))) {
      const res = await call(o.method, `${o.path}?site=mine`, TOKEN);
      expect([401, 403], `${o.method} ${o.path}`).not.toContain(res.status);
    }
  });

  it('answers an unknown admin path with a 401 before a 404, and a 404 in JSON after', async () => {
    expect((await call('GET', '/v1/admin/nothing-here')).status).toBe(401);
    const res = await call('GET', '/v1/admin/nothing-here', TOKEN);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not found' });
  });
});
