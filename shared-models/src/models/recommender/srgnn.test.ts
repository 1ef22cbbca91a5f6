/**
 * SR-GNN's session graph and its two forward passes: the graph a history makes, the device's
 * plain-loop pass equal to the batched one, and a model written with it read back ranking as it did
 * — the device's fast path included.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../../../../test/helpers/recommender-round-trip';
import { encodeHistories } from './encoder';
import { decodeRecommender } from './format';
import type { SasRecConfig } from './sasrec';
import { initWeights } from './sasrec-train';
import { encodeSession, prepareSessionInference, sessionGraph } from './srgnn';

tf.env().set('PROD', true);

const config: SasRecConfig = { arch: 'srgnn', items: 12, types: 3, maxLen: 10, dim: 8, blocks: 2, dropout: 0 };

describe('the session graph', () => {
  it('has one node per distinct item and each step an edge, normalised by degree', () => {
    // a → b → a → c: a has two ways out (b, c), one way in (from b).
    const g = sessionGraph([1, 2, 1, 3]);
    expect(g.nodes).toEqual([1, 2, 3]);
    expect(g.alias).toEqual([0, 1, 0, 2]);
    const row = (m: Float32Array, r: number) => Array.from(m.subarray(r * 3, r * 3 + 3));
    expect(row(g.outgoing, 0)).toEqual([0, 0.5, 0.5]);
    expect(row(g.outgoing, 1)).toEqual([1, 0, 0]);
    expect(row(g.outgoing, 2)).toEqual([0, 0, 0]);
    expect(row(g.incoming, 0)).toEqual([0, 1, 0]);
    expect(row(g.incoming, 2)).toEqual([1, 0, 0]);
    // A repeated step counts once; a single item has no edge at all.
    expect(Array.from(sessionGraph([4, 5, 4, 5]).outgoing)).toEqual([0, 1, 1, 0]);
    expect(Array.from(sessionGraph([7]).incoming)).toEqual([0]);
  });
});

describe("SR-GNN's forward passes", () => {
  it('gives the same state in plain loops (the device) as batched (trainer and evaluation)', async () => {
    const c = config;
    const w = initWeights(c, 11);
    // Graphs of one to ten nodes (past eight, the backend's products), and a history longer than the window.
    const histories = [[1, 2, 3, 2, 4], [5], [7, 7, 8, 9, 7, 10], [11, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 1]];
    const types = histories.map((h) => h.map((_, k) => 1 + (k % 2)));
    const batched = encodeHistories(w, c, histories, types);
    const rows = (await batched.array()) as number[][];
    batched.dispose();
    const p = await prepareSessionInference(w, c);
    // Products over many rows on the backend (as on wasm): the same numbers.
    const onBackend = await prepareSessionInference(w, c, true);
    histories.forEach((h, i) => {
      for (const q of [p, onBackend]) {
        const one = encodeSession(q, h, types[i]);
        one.forEach((v, k) => {
          expect(v).toBeCloseTo(rows[i][k], 4);
        });
      }
    });
    onBackend.dispose();
    // Order matters: the same items in another order are another session.
    const reversed = encodeSession(p, [...histories[0]].reverse(), [...types[0]].reverse());
    expect(Array.from(reversed)).not.toEqual(Array.from(encodeSession(p, histories[0], types[0])));
    tf.dispose(Object.values(w));
  });

  it('writes a model that reads back ranking as it did, on the fast path too', async () => {
    const weights = initWeights(config, 5);
    const { files, manifest, read, written } = await expectRoundTrip(config, weights);
    await expect(
      decodeRecommender(files, { ...manifest, config: { ...config, arch: 'gru4rec' as never } }),
    ).rejects.toThrow(/network "gru4rec" is none this device knows/);
    // Steps and window are in no weight's shape: a manifest cannot ask for endless work.
    for (const bad of [{ blocks: 1e9 }, { maxLen: 1e7 }])
      await expect(decodeRecommender(files, { ...manifest, config: { ...config, ...bad } })).rejects.toThrow(
        /SR-GNN's config asks for .* at most 8 steps over 200/,
      );
    read.dispose();
    written.dispose();
  });
});
