/**
 * @module infer/models — a model's files from the edge, verified, cached, and kept when the edge
 * offers something worse: a manifest whose shards do not match their SHA-256 is refused and the
 * cached model keeps serving, as does a lower version than the one cached. Without a network the
 * cache serves alone.
 */
import { ManifestError, type ModelManifest, verifyShards } from '../../../shared-models/src/models/manifest';
import type { ModelCache } from './cache';

export interface LoadedFiles<M extends ModelManifest> {
  manifest: M;
  files: Map<string, Uint8Array>;
  loadedFrom: 'network' | 'cache';
  /** Why the network's offer was not taken, when it was not. */
  problem?: string;
}

async function fromCache<M extends ModelManifest>(cache: ModelCache | undefined, name: string) {
  const manifest = (await cache?.manifest(name)) as M | undefined;
  if (!manifest || !cache) return undefined;
  const files = new Map<string, Uint8Array>();
  for (const s of manifest.shards) {
    const bytes = await cache.shard(s.sha256);
    if (bytes) files.set(s.path, new Uint8Array(bytes));
  }
  try {
    await verifyShards(manifest, files); // the cache is checked on the way out too
  } catch {
    return undefined;
  }
  return { manifest, files };
}

export async function loadModelFiles<M extends ModelManifest>(
  endpoint: string,
  name: string,
  cache: ModelCache | undefined,
): Promise<LoadedFiles<M> | undefined> {
  const cached = await fromCache<M>(cache, name);
  const keep = (problem?: string) => (cached ? { ...cached, loadedFrom: 'cache' as const, problem } : undefined);
  let offered: M;
  try {
    const res = await fetch(`${endpoint}/v1/models/${name}/manifest`, { cache: 'no-cache' });
    if (!res.ok) return keep(res.status === 404 ? undefined : `${name}: the edge answered ${res.status}`);
    offered = (await res.json()) as M;
  } catch {
    return keep(); // offline: the cache is all there is
  }
  if (offered.name !== name) return keep(`${name}: the edge offered a ${offered.name} manifest`);
  if (cached && offered.version < cached.manifest.version) {
    return keep(`${name}: refused version ${offered.version}, lower than the cached ${cached.manifest.version}`);
  }
  if (cached && JSON.stringify(offered.shards) === JSON.stringify(cached.manifest.shards)) return keep();
  const files = new Map<string, Uint8Array>();
  try {
    for (const s of offered.shards ?? []) {
      const known = await cache?.shard(s.sha256);
      if (known) {
        files.set(s.path, new Uint8Array(known));
        continue;
      }
      const res = await fetch(`${endpoint}/v1/models/shards/${s.sha256}`);
      if (!res.ok) return keep(`${name}: shard ${s.path} answered ${res.status}`);
      files.set(s.path, new Uint8Array(await res.arrayBuffer()));
    }
    await verifyShards(offered, files);
  } catch (error) {
    if (error instanceof ManifestError) return keep(`${name} v${offered.version} refused: ${error.message}`);
    return keep(`${name}: ${(error as Error).message}`);
  }
  await cache?.put(name, offered, files).catch(() => {});
  return { manifest: offered, files, loadedFrom: 'network' };
}

export interface CatalogItem {
  item_id: string;
  item_name?: string;
  item_category?: string;
  price?: number;
  in_stock?: boolean;
  url?: string;
}

/** The shop's catalogue, from the edge when it answers, else as cached. */
export async function loadCatalog(
  endpoint: string,
  cache: ModelCache | undefined,
): Promise<{ items: CatalogItem[]; loadedFrom: 'network' | 'cache' } | undefined> {
  try {
    const res = await fetch(`${endpoint}/v1/catalog`, { cache: 'no-cache' });
    if (res.ok) {
      const doc = (await res.json()) as { items?: CatalogItem[] };
      if (Array.isArray(doc.items)) {
        await cache?.set('catalog', doc.items).catch(() => {});
        return { items: doc.items, loadedFrom: 'network' };
      }
    }
  } catch {
    // offline
  }
  const items = await cache?.get<CatalogItem[]>('catalog');
  return items ? { items, loadedFrom: 'cache' } : undefined;
}
