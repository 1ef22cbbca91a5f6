/**
 * @module edge-server/api/openapi — the API's contract, generated from the routes' own declarations
 * (`route()`): `GET /v1/openapi.json` (OpenAPI 3.1) and a reference page at `/v1/reference`
 * (Swagger UI, served from this server: nothing is fetched from elsewhere).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { compress } from 'hono/compress';

/** The files of `swagger-ui-dist` the page needs, by the name it asks for. */
const UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'reference.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aisle API reference</title>
<link rel="stylesheet" href="/v1/reference/swagger-ui.css">
<style>body { margin: 0; } .swagger-ui .topbar { display: none; }</style>
</head>
<body>
<div id="reference"></div>
<script src="/v1/reference/swagger-ui-bundle.js"></script>
<script src="/v1/reference/reference.js"></script>
</body>
</html>
`;

// A file of its own rather than an inline script, so a strict Content-Security-Policy can allow it.
const START = `SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#reference', deepLinking: true, docExpansion: 'none', defaultModelsExpandDepth: 0 });\n`;

/** Registers the security schemes, `/v1/openapi.json` and `/v1/reference` on `app` (after every other route). */
export function serveOpenApi<E extends Env>(app: OpenAPIHono<E>, version: string): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'operator', {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token the server printed when it first started (AISLE_OPERATOR_TOKEN).',
  });
  registry.registerComponent('securitySchemes', 'reader', {
    type: 'http',
    scheme: 'bearer',
    description: 'A read-only token for one site (POST /v1/admin/tokens): the routes marked `read`, for its own site.',
  });
  registry.registerComponent('securitySchemes', 'device', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: '`Device SECRET`: the secret the storefront script keeps in this browser.',
  });
  let document: unknown;
  app.get('/v1/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Aisle edge API',
        version,
        description:
          'Ingest of consented shopper events, the shopper’s own data (/v1/me), signed models for devices, and the operator’s admin API. Every refusal is a 4xx with `{ error, details: [{ path, message }] }`.',
      },
      tags: [
        { name: 'Ingest' },
        { name: 'Shoppers' },
        { name: 'Models' },
        { name: 'Sites and events' },
        { name: 'Model registry' },
        { name: 'Profiles and retention' },
        { name: 'Dashboard' },
      ],
    });
    c.header('Access-Control-Allow-Origin', '*');
    return c.json(document);
  });
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  /** Each file read once (the bundle is 1.7 MB), on first request. */
  const files = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  app.get('/v1/reference', (c) => c.html(PAGE));
  app.use('/v1/reference/*', compress());
  app.get('/v1/reference/:file', async (c) => {
    const file = c.req.param('file');
    if (!Object.hasOwn(UI_FILES, file)) {
      return c.json({ error: 'not found', details: [{ path: 'file', message: 'no such file' }] }, 404);
    }
    if (!files.has(file)) {
      const bytes = file === 'reference.js' ? new TextEncoder().encode(START) : readFile(join(dist, file));
      files.set(
        file,
        Promise.resolve(bytes).then((b) => new Uint8Array(b)),
      );
    }
    c.header('Content-Type', UI_FILES[file]);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body((await files.get(file)) as Uint8Array<ArrayBuffer>);
  });
}
