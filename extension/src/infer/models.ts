/**
 * @module infer/models — a model's files from the edge, verified, cached, and kept when the edge
 * offers something worse. With a pinned key (`data-key` on the tag) a manifest must carry a valid
 * signature by it, for this site; a lower version than the one cached needs a signed rollback mark
 * from that very version; a manifest signed before the newest one already seen is a replay. Every
 * shard must match its SHA-256. Whatever is refused, the cached model keeps serving; without a
 * network, or with one too slow to answer in `NETWORK_WAIT_MS`, the cache serves (and a newer model
 * the edge offers meanwhile is verified and cached for the next page). Without a pinned key only the hashes are checked (development).
 */
import { CATALOG_FILE, type CatalogItem, parseCatalog } from '@aisle/shared-models/models/catalog';
import {
  deviceShards,
  ManifestError,
  type ModelManifest,
  type ModelName,
  parseManifest,
  sha256Hex,
} from '@aisle/shared-models/models/manifest';
import { verifyModel, verifySignature } from '@aisle/shared-models/models/signing';
import type { ModelCache } from './cache';

export interface LoadedFiles<M extends ModelManifest> {
  manifest: M;
  files: Map<string, Uint8Array>;
  loadedFrom: 'network' | 'cache';
  /** The id of the pinned key that signed it, when one is pinned. */
  signedBy?: string;
  /** Why the network's offer was not taken, when it was not. */
  problem?: string;
}

/** Whom the device trusts and which copy it asks for. */
export interface Trust {
  /** The pinned public key (base64 SPKI); none: hashes only. */
  key?: string;
  /** The site key: the registry serves this site's model, and a signed manifest must name it. */
  site?: string;
  /** The device's rollout bucket, 0–99. */
  bucket?: number;
}

const seenKey = (name: string) => `signed:${name}`;
/** Set when the edge last answered that it has no such model. */
const noneKey = (name: string) => `none:${name}`;

async function fromCache<M extends ModelManifest>(cache: ModelCache | undefined, name: string, keys: string[]) {
  const stored = await cache?.manifest(name);
  if (!stored || !cache) return undefined;
  let manifest: M;
  try {
    manifest = parseManifest<M>(stored, name as ModelName);
  } catch {
    return undefined; // not a manifest (an older build's, or damaged): fetched anew
  }
  const files = new Map<string, Uint8Array>();
  for (const s of deviceShards(manifest)) {
    const bytes = await cache.shard(s.sha256);
    if (bytes) files.set(s.path, new Uint8Array(bytes));
  }
  try {
    // The cache is checked on the way out too: a model cached before a key was pinned does not pass.
    return { manifest, files, signedBy: await verifyModel(manifest, files, keys) };
  } catch {
    return undefined;
  }
}

/** Why `offered` may not replace `cached` (undefined: it may), before a byte of its shards is fetched. */
async function refusal<M extends ModelManifest>(
  name: string,
  offered: M,
  cached: { manifest: M } | undefined,
  trust: Trust,
  seen: string | undefined,
): Promise<string | undefined> {
  if (offered.name !== name) return `the edge offered a ${offered.name} manifest`;
  if (trust.key) {
    try {
      await verifySignature(offered, [trust.key]);
    } catch (error) {
      return `v${offered.version} refused: ${(error as Error).message}`;
    }
    if (trust.site && offered.site !== trust.site)
      return `v${offered.version} refused: signed for site ${offered.site}`;
  }
  if (cached && offered.version < cached.manifest.version) {
    const rollback = trust.key && offered.rollback?.from === cached.manifest.version;
    if (!rollback) return `refused version ${offered.version}, lower than the cached ${cached.manifest.version}`;
  }
  if (trust.key && seen && (!offered.signed_at || offered.signed_at < seen)) {
    return `v${offered.version} refused: signed ${offered.signed_at}, before the ${seen} manifest already seen (a replay)`;
  }
  return undefined;
}

/**
 * How long a device that holds a good copy waits for the edge's answer before serving that copy: on a
 * phone's network one round trip alone takes longer. The check goes on; what it takes (verified, as
 * always) is cached for the next page.
 */
export const NETWORK_WAIT_MS = 150;

/**
 * The bound on the edge's first answer: `answered()` marks it; `inTime(fresh)` resolves true when it
 * came (or `fresh` settled) within `waitMs` of this call, false once that time is past.
 */
function deadline(waitMs: number) {
  let answered = () => {};
  const heard = new Promise<boolean>((resolve) => {
    answered = () => resolve(true);
  });
  const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs));
  const settled = (fresh: Promise<unknown>) =>
    fresh.then(
      () => true,
      () => true,
    );
  return { answered, inTime: (fresh: Promise<unknown>) => Promise.race([heard, settled(fresh), late]) };
}

export async function loadModelFiles<M extends ModelManifest>(
  endpoint: string,
  name: string,
  cache: ModelCache | undefined,
  trust: Trust = {},
  waitMs = NETWORK_WAIT_MS,
): Promise<LoadedFiles<M> | undefined> {
  const keys = trust.key ? [trust.key] : [];
  // The edge is asked at once, while the cached copy is read and checked.
  const bound = deadline(waitMs);
  const held = fromCache<M>(cache, name, keys);
  const fresh = fromEdge<M>(endpoint, name, cache, trust, held, bound.answered);
  fresh.catch(() => {});
  const cached = await held;
  // Nothing held: the edge's answer is awaited, unless it said last time that it has no such model.
  if (!cached && !(await cache?.get<boolean>(noneKey(name)).catch(() => false))) return fresh;
  // The bound is on the question (is there something newer?), not on the download of what is.
  if (await bound.inTime(fresh)) return fresh;
  return cached ? { ...cached, loadedFrom: 'cache' } : undefined;
}

/** The edge's offer, checked against the cached copy: the offer when it is taken (and cached), else the cached copy. */
async function fromEdge<M extends ModelManifest>(
  endpoint: string,
  name: string,
  cache: ModelCache | undefined,
  trust: Trust,
  held: Promise<{ manifest: M; files: Map<string, Uint8Array>; signedBy?: string } | undefined>,
  answered: () => void,
): Promise<LoadedFiles<M> | undefined> {
  const keys = trust.key ? [trust.key] : [];
  const keep = async (problem?: string) => {
    const cached = await held;
    return cached ? { ...cached, loadedFrom: 'cache' as const, problem: problem && `${name}: ${problem}` } : undefined;
  };
  let offered: M;
  try {
    const query = new URLSearchParams();
    if (trust.site) query.set('site', trust.site);
    if (trust.bucket !== undefined) query.set('bucket', String(trust.bucket));
    const res = await fetch(`${endpoint}/v1/models/${name}/manifest${query.size ? `?${query}` : ''}`, {
      cache: 'no-cache',
    });
    answered();
    await cache?.set(noneKey(name), res.status === 404).catch(() => {});
    if (!res.ok) return keep(res.status === 404 ? undefined : `the edge answered ${res.status}`);
    offered = await res.json();
  } catch {
    return keep(); // offline: the cache is all there is
  }
  try {
    offered = parseManifest<M>(offered, name as ModelName);
  } catch (error) {
    return keep(`the edge's manifest ${(error as Error).message}`);
  }
  const cached = await held;
  const seen = await cache?.get<string>(seenKey(name)).catch(() => undefined);
  const refused = await refusal(name, offered, cached, trust, seen);
  if (refused) return keep(refused);
  const remember = async () => {
    if (trust.key && offered.signed_at && (!seen || offered.signed_at > seen)) {
      await cache?.set(seenKey(name), offered.signed_at).catch(() => {});
    }
  };
  if (cached && JSON.stringify(offered.shards) === JSON.stringify(cached.manifest.shards)) {
    await remember();
    return keep();
  }
  const files = new Map<string, Uint8Array>();
  let signedBy: string | undefined;
  try {
    // Every shard at once: on a phone's network each one's round trip would otherwise come in turn.
    const failed = await Promise.all(
      deviceShards(offered).map(async (s): Promise<string | undefined> => {
        const known = await cache?.shard(s.sha256);
        if (known) {
          files.set(s.path, new Uint8Array(known));
          return undefined;
        }
        // Shards are cached by the browser for good (their URL is their hash); bytes that do not match
        // were damaged on the way, so they are asked for once more past that cache before being refused.
        let bytes: Uint8Array | undefined;
        for (const cacheMode of ['default', 'reload'] as const) {
          const res = await fetch(`${endpoint}/v1/models/shards/${s.sha256}`, { cache: cacheMode });
          if (!res.ok) return `shard ${s.path} answered ${res.status}`;
          bytes = new Uint8Array(await res.arrayBuffer());
          if ((await sha256Hex(bytes)) === s.sha256) break;
        }
        files.set(s.path, bytes as Uint8Array);
        return undefined;
      }),
    );
    const problem = failed.find(Boolean);
    if (problem) return keep(problem);
    signedBy = await verifyModel(offered, files, keys);
  } catch (error) {
    if (error instanceof ManifestError) return keep(`v${offered.version} refused: ${error.message}`);
    return keep((error as Error).message);
  }
  await cache?.put(name, offered, files).catch(() => {});
  await remember();
  return { manifest: offered, files, loadedFrom: 'network', signedBy };
}

export type { CatalogItem };

/**
 * The shop's catalogue. With a pinned key it is the signed `catalog` the registry serves, taken and
 * kept exactly as a model is (signature, site, version, replay, shard hash); the unsigned
 * `/v1/catalog` only without one (development). The edge's copy when it answers in time, else the cached one.
 */
export async function loadCatalog(
  endpoint: string,
  cache: ModelCache | undefined,
  trust: Trust = {},
): Promise<{ items: CatalogItem[]; loadedFrom: 'network' | 'cache'; problem?: string } | undefined> {
  if (trust.key) {
    const loaded = await loadModelFiles(endpoint, 'catalog', cache, trust);
    const bytes = loaded?.files.get(CATALOG_FILE);
    if (!loaded || !bytes) return undefined;
    try {
      const items = parseCatalog(JSON.parse(new TextDecoder().decode(bytes)));
      return { items, loadedFrom: loaded.loadedFrom, problem: loaded.problem };
    } catch {
      return undefined; // signed, yet not a catalogue: nothing from it is shown
    }
  }
  const bound = deadline(NETWORK_WAIT_MS);
  const fresh = (async () => {
    try {
      const res = await fetch(`${endpoint}/v1/catalog`, { cache: 'no-cache' });
      bound.answered();
      if (res.ok) {
        const items = parseCatalog(await res.json());
        await cache?.set('catalog', items).catch(() => {});
        return { items, loadedFrom: 'network' as const };
      }
    } catch {
      // offline, or not JSON
    }
    return undefined;
  })();
  const stored = await cache?.get<CatalogItem[]>('catalog').catch(() => undefined);
  if (!stored) return fresh;
  // Checked (the page's origin can write there) only when it serves: where the edge's copy comes in
  // time, a repeat visit does not check every item twice before its first recommendation.
  const cached = () => ({ items: parseCatalog({ items: stored }), loadedFrom: 'cache' as const });
  // As for a model: a held copy serves when the edge is slower than NETWORK_WAIT_MS, and is refreshed for the next page.
  return (await bound.inTime(fresh)) ? ((await fresh) ?? cached()) : cached();
}
