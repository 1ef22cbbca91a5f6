/** The recommender's files, written and read back: the same scores, checks on what does not fit. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../files';
import { ManifestError } from '../manifest';
import { decodeRecommender, encodeRecommender } from './format';
import { load } from './index';
import { createRecommenderModel, type RecommenderManifest } from './model';
import type { SasRecConfig } from './sasrec';
import { initWeights } from './sasrec-train';

// The CPU backend in Node prints a banner asking for tfjs-node (which cannot install here): not in the test output.
tf.env().set('PROD', true);

const config: SasRecConfig = { items: 6, types: 2, maxLen: 4, dim: 8, blocks: 1, dropout: 0 };
const manifest = {
  manifest_version: 1,
  name: 'recommender',
  version: 3,
  feature_schema_version: 1,
  created_at: '2026-12-03T00:00:00.000Z',
  shards: [],
  metrics: {},
  config,
  items: ['', 'a', 'b', 'c', 'd', 'e'],
  types: ['', 'view_item'],
  blend: 0.5,
  knn: { neighbours: 1, decay: 0.5 },
  content: { weight: 0.2, decay: 0.5, categories: ['', 'x'], band_edges: [10] },
} satisfies RecommenderManifest;

function parts() {
  return {
    manifest,
    weights: initWeights(config, 7),
    neighbours: {
      items: Int32Array.from([0, 2, 3, 4, 5, 1]),
      similarity: Float32Array.from([0, 1, 1, 1, 1, 1]),
      width: 1,
    },
    popularity: Float32Array.from([0, 5, 4, 3, 2, 1]),
    content: {
      category: Int32Array.from([0, 1, 1, 0, 1, 0]),
      band: Int32Array.from([0, 0, 1, 1, 0, 1]),
      coldness: Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5]),
    },
  };
}

describe('the recommender format', () => {
  it('reads back a model that scores every history exactly as the one written', async () => {
    const p = parts();
    const files = await encodeRecommender(p);
    const written = createRecommenderModel(p.weights, manifest, p.neighbours, p.popularity, p.content, true);
    const read = await decodeRecommender(files, manifest);
    const histories = [[1], [1, 2], [3, 4, 5], [5, 5, 2, 1]];
    const types = histories.map((h) => h.map(() => 1));
    const a = written.scoreBatch(histories, types);
    const b = read.scoreBatch(histories, types);
    a.forEach((row, i) => {
      expect(Array.from(b[i])).toEqual(Array.from(row));
    });
    expect(read.recommend(['a', 'b'], ['view_item', 'view_item'], 3)).toEqual(
      written.recommend(['a', 'b'], ['view_item', 'view_item'], 3),
    );
    read.dispose();
    written.dispose();
  });

  it('leaves no tensor behind when reading fails', async () => {
    const files = await encodeRecommender(parts());
    const before = tf.memory().numTensors;
    const smaller = { ...manifest, config: { ...config, dim: 4 } };
    await expect(decodeRecommender(files, smaller)).rejects.toThrow(
      /item_embedding is \[6,8\], the config makes it \[6,4\]/,
    );
    await expect(decodeRecommender(files, { ...manifest, config: undefined as never })).rejects.toThrow(
      ModelFormatError,
    );
    const noWeights = new Map(files);
    noWeights.delete('weights.bin');
    await expect(decodeRecommender(noWeights, manifest)).rejects.toThrow(/weights.bin is missing/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads only what its manifest names and every shard matches', async () => {
    const files = await encodeRecommender(parts());
    const { sha256Hex } = await import('../manifest');
    const shards = await Promise.all(
      [...files].map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), size: bytes.byteLength })),
    );
    const model = await load({ ...manifest, shards }, files);
    expect(model.manifest.version).toBe(3);
    model.dispose();
    await expect(load({ ...manifest, name: 'churn', shards }, files)).rejects.toThrow(
      /holds a churn model, not recommender/,
    );
    await expect(load({ ...manifest, version: 0, shards }, files)).rejects.toThrow(ManifestError);
    const damaged = new Map(files);
    damaged.set('weights.bin', new Uint8Array(files.get('weights.bin')?.byteLength ?? 0));
    await expect(load({ ...manifest, shards }, damaged)).rejects.toThrow(/does not match its SHA-256/);
  });
});
