/**
 * @module training/recommender-files — the recommender's directory: its format's files
 * (`encodeRecommender`: `model.json`, `weights.bin`) and `manifest.json`.
 */

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import { MODEL_FILE, WEIGHTS_FILE, type WeightsManifest } from '@aisle/shared-models/models/files';
import { parseManifest, verifyShards } from '@aisle/shared-models/models/manifest';
import { applyPatch, BASE_FILE, encodePatch, PATCH_FILE, patchBaseSpecs } from '@aisle/shared-models/models/patch';
import {
  encodeRecommender,
  load,
  type RecommenderManifest,
  type RecommenderModel,
} from '@aisle/shared-models/models/recommender';
import type * as tf from '@tensorflow/tfjs';
import { loadModel, readModelDir, saveModel } from './model-files';
import type { RecommenderTrainResult } from './pipelines/recommender-sasrec';

/**
 * The model's files (and `extra` beside them: a head's `candidates.bin`) and its manifest listing
 * them all. Where `dir` holds an earlier version, its weights travel as that version's base with a
 * patch (`weights.base.bin` + `weights.patch.bin`, see `shared-models/models/patch`) when the patch
 * is under `REBASE_AT` of the whole (compressed, as both travel); else whole, as the base of the
 * patches after it.
 */
export async function saveRecommender(
  dir: string,
  trained: RecommenderTrainResult,
  extra: ReadonlyMap<string, Uint8Array> = new Map(),
  { patch = true }: { patch?: boolean } = {},
): Promise<RecommenderManifest> {
  const files = await encodeRecommender(trained);
  const made = patch ? await patchAgainst(dir, files, trained.manifest.items) : undefined;
  if (made) {
    files.delete(WEIGHTS_FILE);
    files.set(BASE_FILE, made.base.bytes);
    files.set(PATCH_FILE, made.patch);
  }
  for (const [path, bytes] of extra) files.set(path, bytes);
  const manifest = await saveModel<RecommenderManifest>(dir, files, trained.manifest);
  // The base's row ids, for the next patch against it (the operator's; never a shard).
  if (made) writeFileSync(join(dir, BASE_IDS), JSON.stringify(made.base.ids));
  else rmSync(join(dir, BASE_IDS), { force: true });
  return manifest;
}

/** A patch past this share of the whole weights (both compressed) is not worth its base: the version ships whole. */
export const REBASE_AT = 0.5;

/** The item ids of a patched version's base rows (the operator's; never shipped). */
const BASE_IDS = 'weights.base.ids.json';

/** Bytes as the edge sends them: Brotli at the quality it compresses with. */
export const brotliBytes = (bytes: Uint8Array) =>
  brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9 } }).byteLength;

/**
 * The patch that makes `files`' weights from the base of the version in `dir`, when there is one
 * it can be made against, it rebuilds them exactly (as a device will), and it is worth it; else
 * undefined (the version ships whole). A directory it cannot read as a base is no error.
 */
async function patchAgainst(
  dir: string,
  files: ReadonlyMap<string, Uint8Array>,
  ids: readonly string[],
): Promise<{ base: Base; patch: Uint8Array } | undefined> {
  const base = await baseIn(dir);
  if (!base) return undefined;
  try {
    const weights = files.get(WEIGHTS_FILE) as Uint8Array;
    const { weightsManifest } = JSON.parse(new TextDecoder().decode(files.get(MODEL_FILE))) as {
      weightsManifest: WeightsManifest;
    };
    const specs = weightsManifest[0].weights;
    const patch = encodePatch(base, { bytes: weights, specs, ids });
    if (!Buffer.from(applyPatch(base.bytes, patch, specs)).equals(weights)) return undefined;
    return brotliBytes(patch) < REBASE_AT * brotliBytes(weights) ? { base, patch } : undefined;
  } catch {
    return undefined;
  }
}

interface Base {
  bytes: Uint8Array;
  specs: tf.io.WeightsManifestEntry[];
  ids: string[];
}

/** The weights the next version's patch is made against: the version in `dir`'s own, or its base; verified. */
async function baseIn(dir: string): Promise<Base | undefined> {
  try {
    const held = readModelDir(dir);
    const manifest = parseManifest(held.manifest);
    await verifyShards(manifest, held.files);
    const items = (manifest as { items?: unknown }).items;
    const whole = held.files.get(WEIGHTS_FILE);
    const model = held.files.get(MODEL_FILE);
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (whole && model && strings(items)) {
      const specs = (JSON.parse(new TextDecoder().decode(model)) as { weightsManifest: WeightsManifest })
        .weightsManifest[0].weights;
      return { bytes: whole, specs, ids: items };
    }
    const base = held.files.get(BASE_FILE);
    const patch = held.files.get(PATCH_FILE);
    const ids: unknown = JSON.parse(readFileSync(join(dir, BASE_IDS), 'utf8'));
    if (base && patch && strings(ids)) return { bytes: base, specs: patchBaseSpecs(patch), ids };
  } catch {
    // nothing there, or nothing this code can read as a base (damaged, older): the next version ships whole
  }
  return undefined;
}

/** Where a head model's directory keeps the whole model it was cut from. */
export const WHOLE_DIR = 'whole';

/** The recommender in `dir`; for a head model the whole one beside it, when it is there (the operator's tools rank every item). */
export const loadRecommender = (dir: string): Promise<RecommenderModel> =>
  loadModel(existsSync(join(dir, WHOLE_DIR, 'manifest.json')) ? join(dir, WHOLE_DIR) : dir, load);
