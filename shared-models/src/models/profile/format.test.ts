/** The profile model's files, written and read back: the same segments, checks on what does not fit. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { TabularSchema } from '../../features/tabular';
import { decodeProfile, encodeProfile } from './format';
import { createProfileModel, type ProfileManifest } from './model';

// The CPU backend in Node prints a banner asking for tfjs-node (which cannot install here): not in the test output.
tf.env().set('PROD', true);

const tabular: TabularSchema = {
  version: 1,
  columns: [
    { name: 'events', kind: 'numeric', mean: 0, std: 1 },
    { name: 'revenue', kind: 'numeric', mean: 0, std: 1 },
  ],
} as TabularSchema;
const manifest = {
  manifest_version: 1,
  name: 'profile',
  version: 1,
  feature_schema_version: 1,
  created_at: '2026-12-03T00:00:00.000Z',
  shards: [],
  metrics: {},
  tabular,
  k: 2,
  silhouette: 0.5,
  segments: [],
  big_spender_revenue: 100,
  reference_price: 10,
  taste: {
    recommender_version: 1,
    k: 2,
    silhouette: 0.4,
    dim: 3,
    segments: [0, 1].map((id) => ({ id, name: `taste ${id}`, size: 1, top_categories: [], top_items: [] })),
  },
} as unknown as ProfileManifest;

describe('the profile format', () => {
  it('reads back both facets’ centroids exactly', async () => {
    const centroids = Float32Array.from([0.5, -1, 2, 3.25]);
    const taste = Float32Array.from([1, 0, 0, 0, 1, 0]);
    const files = await encodeProfile({ manifest, centroids, taste });
    const before = tf.memory().numTensors;
    const read = await decodeProfile(files, manifest);
    const written = createProfileModel(manifest, centroids, taste);
    expect(tf.memory().numTensors).toBe(before);
    const embeddings = [Float32Array.from([0.9, 0.1, 0]), Float32Array.from([0, 1, 0])];
    expect(read.assignTaste(embeddings)).toEqual(written.assignTaste(embeddings));
    expect(read.assignTaste(embeddings)?.map((t) => t.taste_name)).toEqual(['taste 0', 'taste 1']);
    await expect(decodeProfile(files, { ...manifest, k: 3 })).rejects.toThrow(
      /centroids are \[2,2\], the manifest makes them \[3,2\]/,
    );
    const noTaste = await encodeProfile({ manifest: { ...manifest, taste: undefined }, centroids });
    await expect(decodeProfile(noTaste, manifest)).rejects.toThrow(/lacks taste_centroids/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
