/** The contract and the router agree: every API route is documented, and every documented one is routed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../app';
import { openSqlite } from '../storage/sqlite';
import type { Storage } from '../storage/types';

let storage: Storage;
let app: App;
let doc: { openapi: string; paths: Record<string, Record<string, { summary?: string; responses: object }>> };

beforeAll(async () => {
  storage = openSqlite(':memory:');
  await storage.migrate();
  app = createApp({ storage, operatorToken: 'token', rollupEveryMs: 0 });
  doc = (await (await app.request('/v1/openapi.json')).json()) as typeof doc;
});
afterAll(async () => {
  await app.stop();
  await storage.close();
});

const UNDOCUMENTED = new Set(['/v1/openapi.json', '/v1/reference', '/v1/reference/:file', '/v1/*']);

describe('/v1/openapi.json', () => {
  it('is OpenAPI 3.1 with a summary and answers for every operation', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(1);
      }
    }
  });

  it('documents every /v1 route the app serves, and nothing it does not', () => {
    const routed = new Set(
      app.routes
        .filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL' && !UNDOCUMENTED.has(r.path))
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...routed].sort());
  });

  it('describes the request bodies the handlers parse, with their limits', () => {
    const consent = doc.paths['/v1/consent'].post as unknown as {
      requestBody: {
        content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } };
      };
    };
    expect(consent.requestBody.content['application/json'].schema).toMatchObject({
      required: ['analytics', 'personalization'],
      additionalProperties: false,
    });
  });

  it('serves a reference page and its script from this server', async () => {
    const page = await app.request('/v1/reference');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/v1/reference/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect((await app.request('/v1/reference/swagger-ui-bundle.js')).headers.get('Content-Type')).toMatch(/javascript/);
    for (const name of ['..%2Fpackage.json', 'constructor', '__proto__', 'toString', 'index.html']) {
      expect((await app.request(`/v1/reference/${name}`)).status, name).toBe(404);
    }
  });
});
