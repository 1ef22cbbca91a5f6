/**
 * @module training/model-files — a model directory: the files of its format (`model.json`,
 * `weights.bin`, … — each model's `encodeX` in `shared-models`) and `manifest.json` listing them
 * with their SHA-256. Written by `aisle train`; read back by `aisle score` and `aisle eval` through
 * the model's own `load()`, which verifies every shard first.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ModelFiles, ModelFormatError } from '@aisle/shared-models/models/files';
import { ManifestError, type ModelManifest, sha256Hex } from '@aisle/shared-models/models/manifest';
import { DataError } from './data/errors';

const MANIFEST = 'manifest.json';

/** The next version for a model written to `dir`: one above the version already there, else 1. */
export function nextVersion(dir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as ModelManifest).version + 1;
  } catch {
    return 1;
  }
}

/**
 * Writes `files` and the manifest listing them with their SHA-256 and size (`shards` filled in
 * here): the files first, then the manifest in one step (written aside, then renamed), then the
 * files of the version replaced that this one does not list — a directory always holds a manifest
 * whose files are there, whenever the process stops.
 */
export async function saveModel<M extends ModelManifest>(
  dir: string,
  files: ModelFiles,
  manifest: Omit<M, 'shards'>,
): Promise<M> {
  mkdirSync(dir, { recursive: true });
  const before = listedShards(dir);
  for (const [path, bytes] of files) writeFileSync(join(dir, path), bytes);
  const shards = await Promise.all(
    [...files].map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), size: bytes.byteLength })),
  );
  const full = { ...manifest, shards } as M;
  const aside = join(dir, `.${MANIFEST}.${process.pid}`);
  writeFileSync(aside, `${JSON.stringify(full, null, 2)}\n`);
  renameSync(aside, join(dir, MANIFEST));
  for (const path of before) if (!files.has(path)) rmSync(join(dir, path), { force: true });
  return full;
}

/** The plain file names the manifest in `dir` lists (none when there is none). */
function listedShards(dir: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { shards?: { path?: unknown }[] };
    return (manifest.shards ?? [])
      .map((s) => s?.path)
      .filter((p): p is string => typeof p === 'string' && isPlainName(p));
  } catch {
    return [];
  }
}

/** A file name next to the manifest, never a path out of the directory. */
const isPlainName = (path: string) => /^[\w.-]+$/.test(path) && !path.startsWith('.');

/** `dir`'s manifest (as read, not yet parsed) and the files it lists. */
export function readModelDir(dir: string): { manifest: unknown; files: Map<string, Uint8Array> } {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) throw new DataError(`${dir}: no model here (no ${MANIFEST})`);
  let manifest: { shards?: { path?: unknown }[] };
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DataError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  const files = new Map<string, Uint8Array>();
  for (const shard of Array.isArray(manifest?.shards) ? manifest.shards : []) {
    // Only plain names next to the manifest: a shard path never leaves the directory.
    if (typeof shard?.path !== 'string' || !isPlainName(shard.path)) continue;
    const file = join(dir, shard.path);
    if (existsSync(file)) files.set(shard.path, new Uint8Array(readFileSync(file)));
  }
  return { manifest, files };
}

/** The model in `dir`, through its `load()` (e.g. `churn.load`); a `DataError` naming what is wrong. */
export async function loadModel<T>(
  dir: string,
  load: (manifest: unknown, files: ModelFiles) => Promise<T>,
): Promise<T> {
  const { manifest, files } = readModelDir(dir);
  try {
    return await load(manifest, files);
  } catch (error) {
    if (error instanceof ManifestError) throw new DataError(`${dir}: ${error.message}; refusing to load it`);
    if (error instanceof ModelFormatError) throw new DataError(`${dir}: not a model of this kind (${error.message})`);
    throw error;
  }
}
