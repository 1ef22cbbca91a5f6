/**
 * @module infer/cache — the models, their shards and the catalogue in the shopper's IndexedDB, one
 * database per browser origin, so a second visit needs no network: manifests by model name, shards
 * by SHA-256 (a shard shared by two versions is stored once), and small state (the chosen backend).
 */

import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

interface ModelsDB extends DBSchema {
  manifests: { key: string; value: ModelManifest };
  shards: { key: string; value: Uint8Array };
  meta: { key: string; value: unknown };
}

export { MODELS_DB } from './forget';

import { MODELS_DB } from './forget';

export interface ModelCache {
  manifest(name: string): Promise<ModelManifest | undefined>;
  shard(sha256: string): Promise<Uint8Array | undefined>;
  /** Stores a verified model: its shards first, then the manifest that points at them. */
  put(name: string, manifest: ModelManifest, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /** Small state's keys that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
  unset(key: string): Promise<void>;
}

/** A head recommender's kept answers (`./candidates`): products the shopper had on screen, so theirs to erase. */
export { KEPT_PREFIX } from './forget';

const upgrade = (d: IDBPDatabase<ModelsDB>) => {
  for (const name of ['manifests', 'shards', 'meta'] as const) {
    if (!d.objectStoreNames.contains(name)) d.createObjectStore(name);
  }
};

export async function openModelCache(): Promise<ModelCache | undefined> {
  let db: IDBPDatabase<ModelsDB>;
  try {
    db = await openDB<ModelsDB>(MODELS_DB, 1, { upgrade });
  } catch {
    return undefined; // private mode or storage refused: models come from the network each time
  }
  return {
    manifest: (name) => db.get('manifests', name),
    shard: (sha) => db.get('shards', sha),
    async put(name, manifest, files) {
      const tx = db.transaction(['shards', 'manifests'], 'readwrite');
      for (const s of manifest.shards) {
        const bytes = files.get(s.path);
        if (bytes) tx.objectStore('shards').put(bytes, s.sha256);
      }
      tx.objectStore('manifests').put(manifest, name);
      await tx.done;
    },
    get: async <T>(key: string) => (await db.get('meta', key)) as T | undefined,
    async set(key, value) {
      await db.put('meta', value, key);
    },
    keys: async (prefix) => (await db.getAllKeys('meta')).map(String).filter((k) => k.startsWith(prefix)),
    async unset(key) {
      await db.delete('meta', key);
    },
  };
}
