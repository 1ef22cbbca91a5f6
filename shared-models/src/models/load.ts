/**
 * @module shared-models/models/load — `load()` for every model, as tfjs-models gives each of its
 * models one: a manifest and its files in, a ready model out, after the manifest is parsed, its
 * signature checked against the pinned keys (when any) and every shard against its hash. The
 * trainer reads the files from a directory, the device from the registry and IndexedDB; both
 * end here.
 */
import type { ModelFiles } from './files';
import { type ModelManifest, parseManifest } from './manifest';
import { verifyModel } from './signing';

export interface LoadOptions {
  /** Public keys (base64 SPKI) one of which must have signed the manifest; none: only the shards are checked. */
  keys?: readonly string[];
}

/** A model's `load`, built from its name and its decoder. */
export function loader<M extends ModelManifest, T>(
  name: M['name'],
  decode: (files: ModelFiles, manifest: M) => Promise<T>,
): (manifest: unknown, files: ModelFiles, options?: LoadOptions) => Promise<T> {
  return async (manifest, files, options = {}) => {
    const parsed = parseManifest<M>(manifest, name);
    await verifyModel(parsed, files, options.keys);
    return decode(files, parsed);
  };
}
