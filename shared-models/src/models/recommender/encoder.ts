/**
 * @module shared-models/models/recommender/encoder — the network that reads a history, whichever the
 * config names (`arch`: SASRec, absent in every model from before there was a choice, SR-GNN or LightGCN):
 * its weights' names and shapes, the state after each of a batch of histories (trainer and
 * evaluation), and the device's one-history pass. The rest of the recommender — scoring against
 * the item embedding, the blend, the head — is the same for all.
 */
import type * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs';
import {
  encodeBag,
  encodeBags,
  LIGHTGCN_DECAY,
  LIGHTGCN_WINDOW,
  lightgcnShapes,
  prepareBagInference,
} from './lightgcn';
import { type Arch, encode, type SasRecConfig, type SasRecWeights, sasrecShapes } from './sasrec';
import { encodeLast, prepareInference } from './sasrec-infer';
import { encodeSession, encodeSessions, prepareSessionInference, SRGNN_WINDOW, srgnnShapes } from './srgnn';

/** Left-pads (or cuts) a history to the model's window. */
export const padWindow = (s: readonly number[], n: number) => {
  const tail = s.slice(-n);
  return [...new Array(n - tail.length).fill(0), ...tail];
};

export const archOf = (c: SasRecConfig): Arch => c.arch ?? 'sasrec';

/**
 * What a network's config sets unless told (SASRec: nothing, `arch` absent as in every model from
 * before there was a choice). SR-GNN reads the visit's latest items: its cost grows with the square of
 * the window. LightGCN: the latest distinct items, the later weighing more.
 */
export const archDefaults = (arch: Arch): Partial<SasRecConfig> =>
  arch === 'srgnn'
    ? { arch, maxLen: SRGNN_WINDOW }
    : arch === 'lightgcn'
      ? { arch, maxLen: LIGHTGCN_WINDOW, decay: LIGHTGCN_DECAY }
      : {};

/** Names and shapes of every weight of the config's network, in the order they are exported in. */
export function weightShapes(c: SasRecConfig): [string, number[]][] {
  const arch = archOf(c);
  return arch === 'srgnn' ? srgnnShapes(c) : arch === 'lightgcn' ? lightgcnShapes(c) : sasrecShapes(c);
}

/**
 * The state the next item is scored from after each history, [n, dim] (item and type indexes,
 * oldest first, every item known; the last `maxLen` read). Dropout only when `training`.
 */
export function encodeHistories(
  w: SasRecWeights,
  c: SasRecConfig,
  histories: readonly (readonly number[])[],
  types: readonly (readonly number[])[],
  training = false,
  seeds?: () => number,
): tf.Tensor2D {
  const kinds = types.map((t, i) => (t.length ? t : histories[i].map(() => 1)));
  if (archOf(c) === 'srgnn') return encodeSessions(w, c, histories, kinds, training, seeds);
  if (archOf(c) === 'lightgcn') return encodeBags(w, c, histories);
  return tfc.tidy(() => {
    const n = histories.length;
    const items = tfc.tensor2d(
      histories.map((h) => padWindow(h, c.maxLen)),
      [n, c.maxLen],
      'int32',
    );
    const typeIds = tfc.tensor2d(
      kinds.map((t) => padWindow(t, c.maxLen)),
      [n, c.maxLen],
      'int32',
    );
    const last = encode(w, c, items, typeIds, training, seeds).slice([0, c.maxLen - 1, 0], [n, 1, c.dim]);
    return last.reshape([n, c.dim]) as tf.Tensor2D;
  });
}

/** The device's one-history pass, its weights read once. */
export interface HistoryEncoder {
  /** The state after one history (at most `maxLen`, every item known; past the model's own, rows of `extraRows`). */
  encode(items: readonly number[], types: readonly number[], extraRows?: Float32Array): Float32Array;
  dispose(): void;
}

/** Reads a loaded model's weights for its one-history pass (`backendProducts`: see `prepareInference`). */
export async function prepareEncoder(
  w: SasRecWeights,
  c: SasRecConfig,
  backendProducts = false,
): Promise<HistoryEncoder> {
  if (archOf(c) === 'srgnn') {
    const p = await prepareSessionInference(w, c, backendProducts);
    return { encode: (items, types, rows) => encodeSession(p, items, types, rows), dispose: () => p.dispose() };
  }
  if (archOf(c) === 'lightgcn') {
    const p = await prepareBagInference(w, c);
    return { encode: (items, _types, rows) => encodeBag(p, items, rows), dispose: () => {} };
  }
  const p = await prepareInference(w, c, backendProducts);
  return { encode: (items, types, rows) => encodeLast(p, items, types, rows), dispose: () => p.dispose() };
}
