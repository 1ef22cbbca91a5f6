/**
 * @module shared-models/models/churn/format — the churn model's files: a TF.js Layers network
 * (`../layers`); everything else it needs (columns, normaliser, reasons) is in its manifest.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelFiles } from '../files';
import { decodeLayers, encodeLayers } from '../layers';
import { type ChurnModel, createChurnModel } from './model';
import type { ChurnManifest } from './types';

export const encodeChurn = (network: tf.LayersModel) => encodeLayers(network);

export async function decodeChurn(files: ModelFiles, manifest: ChurnManifest): Promise<ChurnModel> {
  return createChurnModel(await decodeLayers(files), manifest);
}
