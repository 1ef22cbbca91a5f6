/**
 * @module test/helpers/synthetic-model — recommenders of any size with random weights, for what
 * depends on shapes and not on learning: load time, bytes, latency, the edge's candidates.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_VERSION } from '@aisle/shared-models/models/manifest';
import { losslessDtype, type QuantDtype } from '@aisle/shared-models/models/quantize';
import {
  type Arch,
  archDefaults,
  CANDIDATES_FILE,
  type RecommenderManifest,
  type SasRecConfig,
} from '@aisle/shared-models/models/recommender';
import { initWeights } from '@aisle/shared-models/models/recommender/sasrec-train';
import { random } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import { cutRecommender } from '../../training/src/pipelines/recommender-head';
import type { RecommenderTrainResult } from '../../training/src/pipelines/recommender-sasrec';
import { saveRecommender } from '../../training/src/recommender-files';

const KNN_WIDTH = 20;

/**
 * A recommender of `items` items with random weights: latency and bytes depend on the shapes, not
 * on what was learned. Written as the trainer ships models: every float tensor but popularity as
 * uint8 (what `aisle train` chose on both real logs, see `npm run bench -- quantize`), the integer
 * tables in the fewest bits that hold them exactly.
 */
export async function syntheticModel(
  dir: string,
  items: number,
  catalogItem: (i: number) => Record<string, unknown> = () => ({}),
  /** Devices hold this many items (the most popular), the edge answers the rest (`aisle train recommender --head`). */
  head?: number,
  /** The network (SR-GNN and LightGCN with their trainer's default window). */
  arch: Arch = 'sasrec',
) {
  const rnd = random(items);
  const config: SasRecConfig = {
    maxLen: 50,
    ...archDefaults(arch),
    dim: 64,
    blocks: 1,
    dropout: 0,
    items: items + 1,
    types: 3,
  };
  const weights = initWeights(config, 1);
  const manifest: Omit<RecommenderManifest, 'shards'> = {
    manifest_version: MANIFEST_VERSION,
    name: 'recommender',
    version: 1,
    feature_schema_version: 1,
    created_at: new Date().toISOString(),
    config,
    items: ['', ...Array.from({ length: items }, (_, i) => `I${i}`)],
    types: ['', 'view_item', 'add_to_cart'],
    blend: 0.5,
    knn: { neighbours: KNN_WIDTH, decay: 0.6 },
    content: { weight: 0, decay: 0.8, categories: [''], band_edges: [] },
    repeat: null,
    metrics: {},
  };
  const n = items + 1;
  const knnItems = Int32Array.from({ length: n * KNN_WIDTH }, () => 1 + Math.floor(rnd() * items));
  const quantization: Record<string, QuantDtype> = {
    ...Object.fromEntries(Object.keys(weights).map((name) => [name, 'uint8' as const])),
    knn_similarity: 'uint8',
    item_coldness: 'uint8',
    item_category: 'uint8',
    item_band: 'uint8',
  };
  const knnDtype = losslessDtype(knnItems);
  if (knnDtype) quantization.knn_items = knnDtype;
  // Each item's neighbours nearest first, as item-kNN writes them.
  const similarity = Float32Array.from({ length: n * KNN_WIDTH }, () => rnd());
  for (let i = 0; i < n; i++)
    similarity
      .subarray(i * KNN_WIDTH, (i + 1) * KNN_WIDTH)
      .sort()
      .reverse();
  const trained: RecommenderTrainResult = {
    quantization,
    manifest,
    weights,
    neighbours: { items: knnItems, similarity, width: KNN_WIDTH },
    popularity: Float32Array.from({ length: n }, (_, i) => (i ? 1 / i : 0)),
    content: { category: new Int32Array(n), band: new Int32Array(n), coldness: new Float32Array(n) },
    model: undefined as never,
    results: [],
    epochSeconds: [],
  };
  if (head && head < items) {
    const cut = await cutRecommender(trained, [], head + 1);
    await saveRecommender(dir, cut.trained, new Map([[CANDIDATES_FILE, cut.candidates]]));
    cut.trained.model.dispose();
    tf.dispose(cut.trained.weights.item_embedding);
  } else await saveRecommender(dir, trained);
  tf.dispose(Object.values(weights));
  const catalog = {
    items: Array.from({ length: items }, (_, i) => ({
      item_id: `I${i}`,
      item_category: `C${i % 20}`,
      price: 10,
      in_stock: true,
      ...catalogItem(i),
    })),
  };
  writeFileSync(join(dir, '..', 'catalog.json'), JSON.stringify(catalog));
}
