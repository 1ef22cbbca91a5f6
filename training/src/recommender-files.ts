/**
 * @module training/recommender-files — the recommender's directory: its format's files
 * (`encodeRecommender`: `model.json`, `weights.bin`) and `manifest.json`.
 */

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { MODEL_FILE, WEIGHTS_FILE, type WeightsManifest } from '@aisle/shared-models/models/files';
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
  const base = patch ? baseIn(dir) : undefined;
  const weights = files.get(WEIGHTS_FILE) as Uint8Array;
  if (base) {
    const { weightsManifest } = JSON.parse(new TextDecoder().decode(files.get(MODEL_FILE))) as {
      weightsManifest: WeightsManifest;
    };
    const specs = weightsManifest[0].weights;
    const made = encodePatch(base, { bytes: weights, specs, ids: trained.manifest.items });
    // Shipped only if it rebuilds these weights exactly, as a device will (a check that costs a copy);
    // judged as both travel (the edge sends them compressed).
    const rebuilt = applyPatch(base.bytes, made, specs);
    const exact = rebuilt.byteLength === weights.byteLength && rebuilt.every((b, i) => b === weights[i]);
    if (exact && brotliCompressSync(made).byteLength < REBASE_AT * brotliCompressSync(weights).byteLength) {
      files.delete(WEIGHTS_FILE);
      files.set(BASE_FILE, base.bytes);
      files.set(PATCH_FILE, made);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, BASE_IDS), JSON.stringify(base.ids));
    }
  }
  // The files of the version replaced that this one does not list go: a reader never takes a stale one.
  const stale = files.has(WEIGHTS_FILE) ? [BASE_IDS, BASE_FILE, PATCH_FILE] : [WEIGHTS_FILE];
  for (const path of stale) rmSync(join(dir, path), { force: true });
  for (const [path, bytes] of extra) files.set(path, bytes);
  return saveModel<RecommenderManifest>(dir, files, trained.manifest);
}

/** A patch past this share of the whole weights (both compressed) is not worth its base: the version ships whole. */
export const REBASE_AT = 0.5;

/** The item ids of a patched version's base rows (the operator's; never shipped). */
const BASE_IDS = 'weights.base.ids.json';

/** The weights the next version's patch is made against: the version in `dir`'s own, or its base. */
function baseIn(dir: string): { bytes: Uint8Array; specs: tf.io.WeightsManifestEntry[]; ids: string[] } | undefined {
  let held: ReturnType<typeof readModelDir>;
  try {
    held = readModelDir(dir);
  } catch {
    return undefined; // nothing there yet
  }
  const manifest = held.manifest as { items?: string[] };
  const whole = held.files.get(WEIGHTS_FILE);
  const model = held.files.get(MODEL_FILE);
  try {
    if (whole && model && Array.isArray(manifest.items)) {
      const specs = (JSON.parse(new TextDecoder().decode(model)) as { weightsManifest: WeightsManifest })
        .weightsManifest[0].weights;
      return { bytes: whole, specs, ids: manifest.items };
    }
    const base = held.files.get(BASE_FILE);
    const patch = held.files.get(PATCH_FILE);
    if (base && patch) {
      const ids = JSON.parse(readFileSync(join(dir, BASE_IDS), 'utf8')) as string[];
      return { bytes: base, specs: patchBaseSpecs(patch), ids };
    }
  } catch {
    // an earlier version this code cannot read as a base: the next one ships whole
  }
  return undefined;
}

/** Where a head model's directory keeps the whole model it was cut from. */
export const WHOLE_DIR = 'whole';

/** The recommender in `dir`; for a head model the whole one beside it, when it is there (the operator's tools rank every item). */
export const loadRecommender = (dir: string): Promise<RecommenderModel> =>
  loadModel(existsSync(join(dir, WHOLE_DIR, 'manifest.json')) ? join(dir, WHOLE_DIR) : dir, load);
