/**
 * @module edge-server/routes/models — what devices download: each model's current manifest
 * (`GET /v1/models/:name/manifest`, an ETag and a short cache, so a new version reaches devices
 * within a minute), its shards by content hash (`GET /v1/models/shards/:sha256`, cacheable
 * forever), and the shop's catalogue (`GET /v1/catalog`). A site's published (signed) model comes
 * from the registry (`?site=KEY`, its channel by `?channel=` or by the device's rollout `?bucket=`);
 * otherwise the directory `MODELS_DIR/NAME` as `aisle train` writes it, unsigned, for development.
 * The catalogue is `MODELS_DIR/catalog.json`. A head recommender's candidates for one product
 * (`GET /v1/models/recommender/:version/candidates?item=`): see `shared-models/models/recommender/head`.
 * A first visit's recommendations for one product (`GET /v1/models/recommender/first-page?item=&k=`):
 * see `../first-page`.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CATALOG_FILE, type CatalogItem, parseCatalog } from '@aisle/shared-models/models/catalog';
import { ModelFormatError } from '@aisle/shared-models/models/files';
import { MODEL_NAMES, type ModelManifest } from '@aisle/shared-models/models/manifest';
import {
  answerFor,
  type CandidateTable,
  candidatesOf,
  decodeCandidates,
  type MerkleLevel,
  merkleLevels,
  merkleRoot,
  type RecommenderManifest,
} from '@aisle/shared-models/models/recommender';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { route } from '../api/route';
import { type Compressed, compressedCache, compressOnce, sendCompressed } from '../compressed';
import { ApiError } from '../errors';
import type { FirstPageServer } from '../first-page';
import type { Storage } from '../storage';
import type { ChannelRecord } from '../storage/registry';

export { MODEL_NAMES };

const SHA256 = /^[0-9a-f]{64}$/;

interface Loaded {
  body: Buffer;
  etag: string;
  mtimeMs: number;
}

/** A file read once and again only when it changes on disk, with an ETag over its bytes. */
function cachedFile() {
  const cache = new Map<string, Loaded>();
  return async (path: string): Promise<Loaded | undefined> => {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      cache.delete(path);
      return undefined;
    }
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === mtimeMs) return hit;
    const body = await readFile(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const loaded = { body, etag, mtimeMs };
    cache.set(path, loaded);
    return loaded;
  };
}

/** A head model's candidate table, ready to answer: its items by id and its Merkle tree. */
interface Answering {
  table: CandidateTable;
  levels: MerkleLevel[];
  indexOf: Map<string, number>;
  head: Set<string>;
  version: number;
}

/** Shards past this size are sent uncompressed. */
const MAX_COMPRESSED_SHARD = 32 * 1024 * 1024;

/** Longest item id a request may name (the catalogue's own limit). */
const MAX_ITEM_ID = 256;
/** Most recommendations a tag asks for (`data-recommendations`). */
const MAX_K = 24;
/** First-page answers kept on this node (bytes), and new ones computed per second at most. */
const FIRST_PAGE_BYTES = 32 * 1024 * 1024;
const FIRST_PAGE_RUNS = 50;
/** First-page models (and catalogues) kept decoded on a node: the most recently used. */
export const FIRST_PAGES_KEPT = 4;
/**
 * Seconds a minute a node spends decoding first-page models for requests (warm-ups ahead of them
 * not counted): past it, a 503 — whoever cycles through many sites' first pages cannot keep a node
 * decoding. A 100k-item model takes a few seconds; a small shop's, milliseconds.
 */
export const FIRST_PAGE_BUILD_MS = 15_000;

/**
 * The channel a device reads: canary when one exists and the device's bucket (0–99, a stable hash
 * of its anonymous id) falls inside its rollout, else stable, else whatever channel exists.
 */
function pick(channels: ChannelRecord[], asked: string | undefined, bucket: number | undefined) {
  const by = new Map(channels.map((c) => [c.channel, c]));
  if (asked && by.has(asked)) return by.get(asked);
  const canary = by.get('canary');
  if (!asked && canary && bucket !== undefined && bucket < canary.rollout) return canary;
  return by.get('stable') ?? canary;
}

export function modelsRoute({
  dir,
  storage,
  buildMsPerMinute = FIRST_PAGE_BUILD_MS,
}: {
  dir: string;
  storage?: Storage;
  /** First-page decoding a minute for requests (`FIRST_PAGE_BUILD_MS`). */
  buildMsPerMinute?: number;
}) {
  const app = new OpenAPIHono();
  const read = cachedFile();
  // Weights, manifests and the catalogue as a device on a phone's network fetches them: compressed
  // once each (Brotli at 9: megabytes of weights would take seconds at its best), by content.
  const compressed = compressedCache(256 * 1024 * 1024, 9);
  app.use('*', async (c, next) => {
    await next();
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', 'ETag');
  });

  const serveJson = async (c: Context, path: string, missing: () => ApiError) => {
    const file = await read(path);
    if (!file) throw missing();
    c.header('ETag', file.etag);
    c.header('Cache-Control', 'public, max-age=60, must-revalidate');
    if (c.req.header('If-None-Match') === file.etag) return c.body(null, 304);
    return sendCompressed(c, await compressed(file.etag, file.body), 'application/json');
  };

  route(
    app,
    {
      method: 'get',
      path: '/v1/models/shards/:sha256',
      summary: 'A weight shard by its SHA-256 (immutable)',
      tag: 'Models',
      access: 'public',
      responses: { 200: { description: 'the bytes', type: 'application/octet-stream' }, 404: 'no such shard' },
    },
    async (c) => {
      const sha = c.req.param('sha256');
      if (!SHA256.test(sha)) {
        throw new ApiError(400, 'invalid shard id', [{ path: 'sha256', message: 'expected 64 lower-case hex digits' }]);
      }
      const immutable = async (bytes: Uint8Array) => {
        c.header('Cache-Control', 'public, max-age=31536000, immutable');
        c.header('ETag', `"${sha}"`);
        // Only bytes that are what their name says are kept compressed: a shard damaged in storage
        // is served as it is (the device refuses it) and not remembered once repaired.
        const whole = () => createHash('sha256').update(bytes).digest('hex') === sha;
        // A head recommender's candidate table (tens of MB, the edge's own) goes as it is: compressing
        // it would take seconds and most of the cache.
        if (bytes.byteLength > MAX_COMPRESSED_SHARD) {
          c.header('Content-Type', 'application/octet-stream');
          return c.body(bytes as Uint8Array<ArrayBuffer>);
        }
        return sendCompressed(c, await compressed(sha, bytes, whole), 'application/octet-stream');
      };
      // A published shard, or any current directory model's: the bytes are what the hash says, whoever asks.
      const published = await storage?.registry.shard(sha);
      if (published) return immutable(published);
      for (const name of MODEL_NAMES) {
        const manifest = await read(join(dir, name, 'manifest.json'));
        if (!manifest) continue;
        const shard = (JSON.parse(manifest.body.toString('utf8')) as ModelManifest).shards.find(
          (s) => s.sha256 === sha,
        );
        if (!shard) continue;
        const file = await read(join(dir, name, shard.path));
        if (!file) continue;
        return immutable(file.body);
      }
      throw new ApiError(404, 'no such shard', [{ path: 'sha256', message: `no current model has a shard ${sha}` }]);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/models/:name/manifest',
      summary: 'The manifest a device should load: the site’s channel for its rollout bucket',
      tag: 'Models',
      access: 'public',
      query: z.object({
        site: z.string().max(64).optional(),
        bucket: z.string().optional(),
        channel: z.enum(['stable', 'canary']).optional(),
      }),
      responses: { 200: 'the signed manifest', 304: 'not modified', 404: 'no such model, or none published' },
    },
    async (c) => {
      const name = c.req.param('name');
      if (!(MODEL_NAMES as readonly string[]).includes(name)) {
        throw new ApiError(404, 'no such model', [
          { path: 'name', message: `expected one of ${MODEL_NAMES.join(', ')}` },
        ]);
      }
      // The site's published model (signed) where it has one; else the directory's (development).
      const site = c.req.query('site');
      if (site && storage) {
        const bucket = Number(c.req.query('bucket'));
        const channel = pick(
          await storage.registry.channels(site, name),
          c.req.query('channel') || undefined,
          Number.isInteger(bucket) && bucket >= 0 && bucket < 100 ? bucket : undefined,
        );
        if (channel) {
          const etag = `"${createHash('sha256').update(channel.manifest).digest('base64url').slice(0, 27)}"`;
          c.header('ETag', etag);
          c.header('Cache-Control', 'public, max-age=60, must-revalidate');
          c.header('Vary', 'Accept-Encoding');
          if (c.req.header('If-None-Match') === etag) return c.body(null, 304);
          return sendCompressed(
            c,
            await compressed(etag, new TextEncoder().encode(channel.manifest)),
            'application/json',
          );
        }
      }
      return serveJson(
        c,
        join(dir, name, 'manifest.json'),
        () =>
          new ApiError(404, 'model not published', [{ path: 'name', message: `no ${name} model on this server yet` }]),
      );
    },
  );

  // Candidate tables, decoded and hashed into their tree once (a second or two for 100k items, some
  // 50 MB held), only for versions a channel serves now: two at most per site. A table that failed
  // is not tried again for a minute.
  const answering = new Map<string, Promise<Answering>>();
  const failed = new Map<string, { at: number; error: ApiError }>();
  const refused = (message: string) => new ApiError(404, 'no candidates', [{ path: 'version', message }]);
  const answeringFor = (
    manifest: RecommenderManifest,
    bytes: (sha: string, path: string) => Promise<Uint8Array | undefined>,
  ) => {
    const head = manifest.head as NonNullable<RecommenderManifest['head']>;
    const shard = manifest.shards.find((s) => s.path === head.shard);
    if (!shard) throw refused('its manifest lists no candidate table');
    // The table and what the manifest says of it: a table shared by two cuts answers each by its own.
    const key = `${shard.sha256}/${head.root}/${manifest.version}/${manifest.items.length}`;
    const fault = failed.get(key);
    if (fault && Date.now() - fault.at < 60_000) throw fault.error;
    let ready = answering.get(key);
    if (!ready) {
      const building = (async () => {
        const body = await bytes(shard.sha256, shard.path);
        if (!body || createHash('sha256').update(body).digest('hex') !== shard.sha256)
          throw refused('its candidate table is not stored whole');
        let table: CandidateTable;
        let levels: MerkleLevel[];
        try {
          table = decodeCandidates(body);
          levels = await merkleLevels(table);
        } catch (error) {
          if (error instanceof ModelFormatError) throw refused(error.message);
          throw error;
        }
        if (merkleRoot(levels) !== head.root) throw refused('its candidate table is not the signed one');
        const indexOf = new Map(table.ids.map((id, i) => [id, i]));
        return { table, levels, indexOf, head: new Set(manifest.items.slice(1)), version: manifest.version };
      })();
      ready = building;
      building.catch((error) => {
        if (answering.get(key) === building) answering.delete(key);
        if (error instanceof ApiError) failed.set(key, { at: Date.now(), error });
      });
      answering.set(key, building);
      while (answering.size > 4) answering.delete(answering.keys().next().value as string);
    }
    return ready;
  };
  // Answers compressed apart from the weights: crawling every product must not push shards out.
  const compressedAnswers = compressedCache(16 * 1024 * 1024, 9);

  route(
    app,
    {
      method: 'get',
      path: '/v1/models/recommender/:version/candidates',
      summary:
        'A head recommender’s candidates for one product: its neighbours in the whole model, with the rows of those outside the head, each with its Merkle proof (immutable)',
      tag: 'Models',
      access: 'public',
      query: z.object({ item: z.string().min(1).max(MAX_ITEM_ID), site: z.string().max(64).optional() }),
      responses: {
        200: '{ version, item, leaves: [{ index, leaf, proof }] }',
        400: 'no item, or not a version',
        404: 'no such version, no candidates for it, or an item the model does not know',
      },
    },
    async (c) => {
      const version = Number(c.req.param('version'));
      if (!Number.isInteger(version) || version < 1)
        throw new ApiError(400, 'invalid version', [{ path: 'version', message: 'expected a whole number from 1' }]);
      const item = c.req.query('item') ?? '';
      if (!item || item.length > MAX_ITEM_ID)
        throw new ApiError(400, 'invalid item', [
          { path: 'item', message: `expected the product's id, 1 to ${MAX_ITEM_ID} characters` },
        ]);
      const site = c.req.query('site');
      let manifest: RecommenderManifest | undefined;
      let bytes: (sha: string, path: string) => Promise<Uint8Array | undefined> = async () => undefined;
      if (site && storage) {
        // Only a version a channel serves now: an old one is no device's, and each costs a table.
        const found = (await storage.registry.channels(site, 'recommender')).find((v) => v.version === version);
        if (found) {
          manifest = JSON.parse(found.manifest) as RecommenderManifest;
          bytes = (sha) => storage.registry.shard(sha);
        }
      }
      if (!manifest) {
        const file = await read(join(dir, 'recommender', 'manifest.json'));
        const local = file && (JSON.parse(file.body.toString('utf8')) as RecommenderManifest);
        if (local?.version === version) {
          manifest = local;
          bytes = async (_sha, path) => (await read(join(dir, 'recommender', path)))?.body;
        }
      }
      if (!manifest)
        throw new ApiError(404, 'no such version', [
          { path: 'version', message: `no recommender version ${version} here` },
        ]);
      if (!manifest.head)
        throw new ApiError(404, 'no candidates', [
          { path: 'version', message: `recommender version ${version} holds the whole catalogue: nothing to ask for` },
        ]);
      const ready = await answeringFor(manifest, bytes);
      const answer = answerFor(ready.table, ready.levels, ready.indexOf, item, ready.head, ready.version);
      if (!answer)
        throw new ApiError(404, 'unknown item', [
          { path: 'item', message: `recommender version ${version} does not know it` },
        ]);
      // The same answer for everyone who has the product on screen: any cache may keep it.
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      c.header('Vary', 'Accept-Encoding');
      const body = new TextEncoder().encode(JSON.stringify(answer));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      c.header('ETag', etag);
      if (c.req.header('If-None-Match') === etag) return c.body(null, 304);
      return sendCompressed(c, await compressedAnswers(etag, body), 'application/json');
    },
  );

  /**
   * A model as a device with no rollout bucket gets it now: the site's channel (stable, else canary),
   * else the directory's. `bytes` reads one of its shards; `source` names which model it is (the
   * channel's manifest, or the directory's by its ETag), never the request's own words.
   */
  async function current(name: 'recommender' | 'catalog', site: string | undefined) {
    if (site && storage) {
      const channel = pick(await storage.registry.channels(site, name), undefined, undefined);
      if (channel)
        return {
          manifest: JSON.parse(channel.manifest) as ModelManifest,
          bytes: (sha: string, _path: string) => storage.registry.shard(sha),
          source: `site:${site}:${createHash('sha256').update(channel.manifest).digest('hex')}`,
        };
    }
    const file = await read(join(dir, name, 'manifest.json'));
    if (!file) return undefined;
    return {
      manifest: JSON.parse(file.body.toString('utf8')) as ModelManifest,
      bytes: async (_sha: string, path: string) => (await read(join(dir, name, path)))?.body,
      source: `dir:${file.etag}`,
    };
  }
  /**
   * The catalogue the device would load: the signed one where its tag pins a key (`signed`), else
   * the directory's `catalog.json` (`GET /v1/catalog`); a key that changes with its bytes, and its
   * items, read only when asked. None at all: no items (the device has none either).
   */
  async function currentCatalogue(site: string | undefined, signed: boolean) {
    const found = signed ? await current('catalog', site) : undefined;
    const shard = found?.manifest.shards.find((s) => s.path === CATALOG_FILE);
    const file = signed ? undefined : await read(join(dir, 'catalog.json'));
    const items = async (): Promise<CatalogItem[]> => {
      const bytes = shard ? await found?.bytes(shard.sha256, shard.path) : file?.body;
      if (shard && (!bytes || createHash('sha256').update(bytes).digest('hex') !== shard.sha256))
        throw new ApiError(503, 'catalogue not stored', [
          { path: 'site', message: 'the signed catalogue is not stored whole on this node yet' },
        ]);
      if (!bytes) return [];
      try {
        return parseCatalog(JSON.parse(new TextDecoder().decode(bytes)));
      } catch {
        return []; // not a catalogue: the device refuses it too, and shows ids alone
      }
    };
    return { key: shard ? `signed:${shard.sha256}` : file ? `dir:${file.etag}` : 'none', items };
  }

  /**
   * First pages: a model and its catalogue decoded once (the most recently used four), each used
   * by the requests in flight and disposed only after the last one, a failed build not tried again
   * for a minute; answers kept per question (32 MB at most), and at most `FIRST_PAGE_RUNS` new
   * answers computed per second on this node (past that a 503: the device answers from its own model).
   */
  const firstPages = new Map<string, { ready: Promise<FirstPageServer>; using: number; retired: boolean }>();
  const failedPages = new Map<string, { at: number; error: unknown }>();
  // Each answer kept compressed, as it is sent: made and compressed once, then only looked up.
  const firstAnswers = new Map<string, Compressed>();
  let firstAnswerBytes = 0;
  const sizeOf = (a: Compressed, question: string) =>
    a.body.byteLength + a.br.byteLength + a.gzip.byteLength + question.length;
  const runs = { second: 0, count: 0 };
  const retire = (entry: { ready: Promise<FirstPageServer>; using: number; retired: boolean }) => {
    entry.retired = true;
    if (!entry.using)
      void entry.ready.then(
        (s) => s.dispose(),
        () => {},
      );
  };
  // The decoding requests (not warm-ups) started in the last minute, and how long each took.
  const requestBuilds: { at: number; ms: number }[] = [];
  async function firstPageFor(site: string | undefined, signed: boolean, { warming = false } = {}) {
    const found = await current('recommender', site);
    if (!found) return undefined;
    const manifest = found.manifest as RecommenderManifest;
    const catalogue = await currentCatalogue(site, signed);
    const key = `${found.source}\0${catalogue.key}`;
    const fault = failedPages.get(key);
    if (fault && Date.now() - fault.at < 60_000) throw fault.error;
    let entry = firstPages.get(key);
    if (entry) {
      // The most recently used last: the one evicted is the one used longest ago.
      firstPages.delete(key);
      firstPages.set(key, entry);
    } else {
      const started = Date.now();
      if (!warming) {
        while (requestBuilds.length && started - requestBuilds[0].at > 60_000) requestBuilds.shift();
        if (requestBuilds.reduce((sum, b) => sum + b.ms, 0) >= buildMsPerMinute)
          throw new ApiError(503, 'busy', [
            {
              path: 'site',
              message: `this node spent its ${buildMsPerMinute / 1000} s a minute decoding first-page models`,
            },
          ]);
      }
      const building = (async () => {
        const files = new Map<string, Uint8Array>();
        for (const shard of manifest.shards) {
          // A head model's candidate table is read through its verified tree below, not decoded twice.
          if (manifest.head && shard.path === manifest.head.shard) continue;
          const body = await found.bytes(shard.sha256, shard.path);
          if (!body || createHash('sha256').update(body).digest('hex') !== shard.sha256)
            throw new ApiError(404, 'no first page', [
              { path: 'site', message: `recommender version ${manifest.version} is not stored whole` },
            ]);
          files.set(shard.path, body);
        }
        const answering = manifest.head ? await answeringFor(manifest, found.bytes) : undefined;
        const items = await catalogue.items();
        const { firstPageServer } = await import('../first-page');
        return firstPageServer(
          files,
          manifest,
          items,
          answering &&
            (async (item) => {
              const i = answering.indexOf.get(item);
              return i === undefined ? undefined : candidatesOf(answering.table, i, answering.head);
            }),
        );
      })();
      if (!warming) {
        const spent = { at: started, ms: 0 };
        requestBuilds.push(spent);
        const clock = performance.now();
        const done = () => {
          spent.ms = performance.now() - clock;
        };
        building.then(done, done);
      }
      const made = { ready: building, using: 0, retired: false };
      entry = made;
      building.catch((error) => {
        if (firstPages.get(key) === made) firstPages.delete(key);
        failedPages.set(key, { at: Date.now(), error });
        while (failedPages.size > 64) failedPages.delete(failedPages.keys().next().value as string);
      });
      firstPages.set(key, made);
      while (firstPages.size > FIRST_PAGES_KEPT) {
        const oldest = firstPages.keys().next().value as string;
        retire(firstPages.get(oldest) as typeof made);
        firstPages.delete(oldest);
      }
    }
    // Counted in use before anything else can run: an eviction meanwhile waits for this request.
    entry.using++;
    return { key, entry };
  }

  /** Done with an entry a request (or a warm-up) used: disposed now if it was retired meanwhile. */
  const release = (entry: { ready: Promise<FirstPageServer>; using: number; retired: boolean }) => {
    entry.using--;
    if (entry.retired && !entry.using) retire(entry);
  };

  /**
   * Decodes the first page's model and catalogue for `site` (the models directory's without one)
   * before any shopper asks, for each catalogue a tag can ask with: the signed one where one is
   * published, the directory's `catalog.json` where it exists (or none at all). A 100k-item model
   * takes seconds to decode, longer than a first visit waits. A build that fails is remembered as on
   * a request (tried again after a minute); the warm-up itself never throws.
   */
  async function warmFirstPages(site?: string): Promise<number> {
    let kept = 0;
    try {
      if (!(await current('recommender', site))) return 0;
      const catalogues: boolean[] = [];
      if (await current('catalog', site)) catalogues.push(true);
      if ((await read(join(dir, 'catalog.json'))) || !catalogues.length) catalogues.push(false);
      for (const signed of catalogues) {
        const ready = await firstPageFor(site, signed, { warming: true });
        if (!ready) continue;
        kept++;
        try {
          await ready.entry.ready;
        } finally {
          release(ready.entry);
        }
      }
    } catch {
      // Remembered in `failedPages` where it was the build; a request will say what went wrong.
    }
    return kept;
  }

  /** Disposes every decoded first page (a stopping server): each as soon as no request uses it. */
  function closeFirstPages() {
    for (const entry of firstPages.values()) retire(entry);
    firstPages.clear();
  }

  route(
    app,
    {
      method: 'get',
      path: '/v1/models/recommender/first-page',
      summary:
        'A first visit’s recommendations on one product’s page: what the device’s own code shows for that page alone, run here while the device has no model yet',
      tag: 'Models',
      access: 'public',
      query: z.object({
        item: z.string().min(1).max(MAX_ITEM_ID),
        k: z.string().optional(),
        per_category: z.string().optional(),
        category: z.string().max(MAX_ITEM_ID).optional(),
        name: z.string().max(MAX_ITEM_ID).optional(),
        signed: z.enum(['1']).optional(),
        site: z.string().max(64).optional(),
      }),
      responses: {
        200: '{ model_version, items: [{ item_id, item_name, price, url, image, reason, … }], cold }',
        400: 'no item, or k / per_category not whole numbers 1–24, or a field too long',
        404: 'no recommender published',
        503: 'busy: more first pages asked than this node computes a second (the device answers from its own model)',
      },
    },
    async (c) => {
      const text = (name: string, required: boolean) => {
        const value = c.req.query(name) ?? '';
        if ((required && !value) || value.length > MAX_ITEM_ID)
          throw new ApiError(400, `invalid ${name}`, [
            { path: name, message: `expected ${required ? '1' : '0'} to ${MAX_ITEM_ID} characters` },
          ]);
        return value || undefined;
      };
      const item = text('item', true) as string;
      const category = text('category', false);
      const name = text('name', false);
      const whole = (field: string, fallback: number | undefined) => {
        const value = c.req.query(field);
        if (value === undefined || value === '') return fallback;
        const n = Number(value);
        if (!/^\d{1,2}$/.test(value) || n < 1 || n > MAX_K)
          throw new ApiError(400, `invalid ${field}`, [
            { path: field, message: `expected a whole number from 1 to ${MAX_K}` },
          ]);
        return n;
      };
      const k = whole('k', 4) as number;
      const cap = whole('per_category', undefined);
      // A cap of k or more caps nothing: one question, not twenty.
      const perCategory = cap !== undefined && cap < k ? cap : undefined;
      const site = c.req.query('site') || undefined;
      if (site !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(site))
        throw new ApiError(400, 'invalid site', [{ path: 'site', message: 'at most 64 letters, digits, _ or -' }]);
      const ready = await firstPageFor(site, c.req.query('signed') === '1');
      if (!ready)
        throw new ApiError(404, 'model not published', [
          { path: 'site', message: 'no recommender on this server yet' },
        ]);
      const { entry } = ready;
      let answer: Compressed | undefined;
      try {
        const server = await entry.ready;
        const question = JSON.stringify([ready.key, item, k, perCategory, category, name]);
        answer = firstAnswers.get(question);
        if (!answer) {
          const now = Math.floor(Date.now() / 1000);
          if (runs.second !== now) Object.assign(runs, { second: now, count: 0 });
          if (++runs.count > FIRST_PAGE_RUNS) {
            c.header('Retry-After', '1');
            throw new ApiError(503, 'busy', [
              { path: '', message: `at most ${FIRST_PAGE_RUNS} new first pages a second on this node` },
            ]);
          }
          const served = await server.answer(item, { k, perCategory, category, name });
          answer = await compressOnce(
            new TextEncoder().encode(
              JSON.stringify({ model_version: server.version, items: served.items, cold: served.cold }),
            ),
            9,
          );
          firstAnswers.set(question, answer);
          firstAnswerBytes += sizeOf(answer, question);
          for (const [old, kept] of firstAnswers) {
            if (firstAnswerBytes <= FIRST_PAGE_BYTES) break;
            firstAnswers.delete(old);
            firstAnswerBytes -= sizeOf(kept, old);
          }
        }
      } finally {
        release(entry);
      }
      // The same answer for everyone on that page, until the model or the catalogue changes.
      c.header('Cache-Control', 'public, max-age=300');
      c.header('Vary', 'Accept-Encoding');
      return sendCompressed(c, answer, 'application/json');
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/catalog',
      summary: 'The unsigned catalogue (development; devices that pin a key take the signed one)',
      tag: 'Models',
      access: 'public',
      responses: { 200: '{ items }', 404: 'no catalogue' },
    },
    (c) =>
      serveJson(
        c,
        join(dir, 'catalog.json'),
        () => new ApiError(404, 'no catalogue', [{ path: '', message: 'no catalogue on this server yet' }]),
      ),
  );
  return Object.assign(app, { warmFirstPages, closeFirstPages });
}
