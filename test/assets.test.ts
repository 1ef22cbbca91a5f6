/**
 * The scripts as a shopper's device fetches them: compressed once, in the encoding the browser
 * asks for, byte for byte what was built; the inference script's backend chunks by their hashed
 * names only, and nothing else that a crafted name could reach.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawGet } from './helpers/http';
import { startServer, type TestServer, tempSqlite } from './helpers/server';

describe('GET the storefront scripts', () => {
  const db = tempSqlite();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(db.storage, { demo: false });
  });
  afterAll(async () => {
    await server.close();
    db.remove();
  });

  const chunks = readdirSync('dist').filter((f) => /^aisle-infer-[\w-]+\.js$/.test(f));

  it('builds the inference script as an entry and a chunk per GPU or wasm backend', () => {
    for (const backend of ['wasm', 'webgl', 'webgpu'])
      expect(chunks.some((f) => f.startsWith(`aisle-infer-${backend}-`))).toBe(true);
  });

  it.each(['aisle.js', 'aisle-sync.js', 'aisle-recs.js', 'aisle-infer.js'])(
    'serves %s as Brotli, gzip or plain, as asked, and each decodes to the built file',
    async (name) => {
      const built = readFileSync(`dist/${name}`);
      const br = await rawGet(`${server.url}/${name}`, 'gzip, deflate, br');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toMatch(/Accept-Encoding/);
      expect(brotliDecompressSync(br.body).equals(built)).toBe(true);
      const gz = await rawGet(`${server.url}/${name}`, 'gzip');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).equals(built)).toBe(true);
      // A client that refuses Brotli by its q-value, and one that asks for nothing.
      expect((await rawGet(`${server.url}/${name}`, 'br;q=0, gzip')).headers['content-encoding']).toBe('gzip');
      const plain = await rawGet(`${server.url}/${name}`, '');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.equals(built)).toBe(true);
      expect(br.body.length).toBeLessThan(built.length / 2);
    },
  );

  it.each(['aisle.js', 'aisle-sync.js', 'aisle-recs.js'])(
    'serves %s beginning with the V8 compile hint, so that the browser compiles it off the main thread as it streams in',
    async (name) => {
      const plain = await rawGet(`${server.url}/${name}`, '');
      expect(plain.body.toString('utf8').split('\n', 1)[0]).toBe('//# allFunctionsCalledOnLoad');
    },
  );

  it('serves each backend chunk by its hashed name for a year, and no other name', async () => {
    const chunk = chunks.find((f) => f.startsWith('aisle-infer-wasm-')) as string;
    const res = await rawGet(`${server.url}/${chunk}`, 'gzip');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(gunzipSync(res.body).equals(readFileSync(`dist/${chunk}`))).toBe(true);
    for (const path of [
      '/aisle-infer-wasm-00000000.js',
      '/aisle-infer-..%2Fpackage.json',
      '/aisle-infer-%2e%2e%2fpackage.js',
      '/aisle-infer-x.js%00.map',
      `/${chunk.replace('.js', '.json')}`,
    ]) {
      const r = await fetch(`${server.url}${path}`);
      expect([path, r.status]).toEqual([path, 404]);
      expect(await r.json()).toMatchObject({ error: expect.any(String) });
    }
  });
});
