/**
 * @module test/helpers/recommender-round-trip — a 12-item recommender written with the given network's
 * weights and read back, checked to rank as it did: batched, and on the device's one-history fast path.
 */
import { decodeRecommender, encodeRecommender } from '@aisle/shared-models/models/recommender/format';
import { createRecommenderModel, type RecommenderManifest } from '@aisle/shared-models/models/recommender/model';
import type { SasRecConfig, SasRecWeights } from '@aisle/shared-models/models/recommender/sasrec';
import { expect } from 'vitest';

/** Writes and reads back a model of `config` (12 items, 2 types) with `weights`; what it wrote, what it read and the manifest. */
export async function expectRoundTrip(config: SasRecConfig, weights: SasRecWeights) {
  const manifest = {
    manifest_version: 1,
    name: 'recommender',
    version: 1,
    feature_schema_version: 1,
    created_at: '2026-12-07T00:00:00.000Z',
    shards: [],
    metrics: {},
    config,
    items: ['', ...'abcdefghijk'],
    types: ['', 'view_item', 'add_to_cart'],
    blend: 0.75,
    knn: { neighbours: 1, decay: 0.5 },
  } satisfies RecommenderManifest;
  const neighbours = {
    items: Int32Array.from({ length: 12 }, (_, i) => (i ? (i % 11) + 1 : 0)),
    similarity: Float32Array.from({ length: 12 }, (_, i) => (i ? 1 : 0)),
    width: 1,
  };
  const popularity = Float32Array.from({ length: 12 }, (_, i) => 12 - i);
  const content = { category: new Int32Array(12), band: new Int32Array(12), coldness: new Float32Array(12) };
  const written = createRecommenderModel(weights, manifest, neighbours, popularity, content);
  const files = await encodeRecommender({ manifest, weights, neighbours, popularity, content });
  const read = await decodeRecommender(files, manifest);
  const history = [3, 4, 3, 9];
  const types = [1, 1, 2, 1];
  const expected = written.scoreBatch([history], [types])[0];
  const got = read.scoreBatch([history], [types])[0];
  got.forEach((v, j) => {
    expect(v).toBeCloseTo(expected[j], 4);
  });
  // The device's path: one history, plain loops, the catalogue-wide product on the backend.
  const top = await read.rankAsync(history, types, 5);
  const order = Array.from({ length: 11 }, (_, j) => j + 1)
    .filter((j) => !history.includes(j))
    .sort((x, y) => expected[y] - expected[x]);
  expect(Array.from(top.index)).toEqual(order.slice(0, 5));
  return { files, manifest, read, written };
}
