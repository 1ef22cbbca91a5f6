/**
 * @module shared-models/models/layers — the format of the models that are TF.js Layers networks
 * (churn, anomaly): TF.js's own `model.json` (`layers-model`, topology and weight specs) and
 * `weights.bin`, so `tf.loadLayersModel` could read them as well.
 */
import * as tf from '@tensorflow/tfjs';
import {
  arrayBufferOf,
  jsonBytes,
  MODEL_FILE,
  type ModelFiles,
  ModelFormatError,
  readJson,
  WEIGHTS_FILE,
  type WeightsManifest,
} from './files';

/** The network's files. */
export async function encodeLayers(network: tf.LayersModel): Promise<Map<string, Uint8Array>> {
  let files: Map<string, Uint8Array> | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsManifest: WeightsManifest = [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }];
      files = new Map([
        [
          MODEL_FILE,
          jsonBytes({
            format: 'layers-model',
            generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
            convertedBy: null,
            modelTopology: artifacts.modelTopology,
            weightsManifest,
          }),
        ],
        [WEIGHTS_FILE, new Uint8Array(artifacts.weightData as ArrayBuffer)],
      ]);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!files) throw new Error('TensorFlow.js saved nothing');
  return files;
}

/** The network the files hold. */
export async function decodeLayers(files: ModelFiles): Promise<tf.LayersModel> {
  const model = readJson<{ modelTopology: tf.io.ModelArtifacts['modelTopology']; weightsManifest: WeightsManifest }>(
    files,
    MODEL_FILE,
  );
  const weights = files.get(WEIGHTS_FILE);
  if (!weights) throw new ModelFormatError(`${WEIGHTS_FILE} is missing`);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology,
      weightSpecs: model.weightsManifest[0].weights,
      weightData: arrayBufferOf(weights),
    }),
  );
}
