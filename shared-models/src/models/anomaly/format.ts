/**
 * @module shared-models/models/anomaly/format — the anomaly model's files: a TF.js Layers
 * autoencoder (`../layers`); its feature schema, normaliser and thresholds are in its manifest.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelFiles } from '../files';
import { decodeLayers, encodeLayers } from '../layers';
import { type AnomalyManifest, type AnomalyModel, createAnomalyModel } from './model';

export const encodeAnomaly = (network: tf.LayersModel) => encodeLayers(network);

export async function decodeAnomaly(files: ModelFiles, manifest: AnomalyManifest): Promise<AnomalyModel> {
  const network = await decodeLayers(files);
  try {
    return createAnomalyModel(network, manifest);
  } catch (error) {
    // A manifest refused: the network it would have owned is freed, not left on the backend.
    network.dispose();
    throw error;
  }
}
