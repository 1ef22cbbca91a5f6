/** The churn model's files, written and read back with its manifest: the same probabilities and reasons. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fitTabular, inputSize, type TableRow } from '../../features/tabular';
import { decodeChurn, encodeChurn } from './format';
import { createChurnModel } from './model';
import { churnNetwork } from './network';
import type { ChurnManifest } from './types';

// The CPU backend in Node prints a banner asking for tfjs-node (which cannot install here): not in the test output.
tf.env().set('PROD', true);

const rows: TableRow[] = Array.from({ length: 40 }, (_, i) => ({
  visits: String(i % 7),
  spend: String((i * 13) % 50),
  plan: ['free', 'basic', 'pro'][i % 3],
}));

describe('the churn format', () => {
  it('reads back a model that scores every row as the one written', async () => {
    const tabular = fitTabular(rows, ['visits', 'spend', 'plan'], new Set(['plan']));
    const manifest = {
      manifest_version: 1,
      name: 'churn',
      version: 2,
      feature_schema_version: tabular.version,
      created_at: '2026-12-03T00:00:00.000Z',
      shards: [],
      metrics: {},
      source: 'table',
      architecture: 'mlp',
      label: 'churned',
      positive: 'yes',
      tabular,
      calibration: { a: 1.3, b: -0.2 },
      threshold: 0.4,
    } satisfies ChurnManifest;
    const network = churnNetwork(inputSize(tabular), 'mlp', 9);
    const written = createChurnModel(network, manifest);
    const read = await decodeChurn(await encodeChurn(network), manifest);
    const a = written.score(rows);
    const b = read.score(rows);
    expect(b.map((s) => s.probability)).toEqual(a.map((s) => s.probability));
    expect(b.map((s) => s.reasons)).toEqual(a.map((s) => s.reasons));
    written.dispose();
    read.dispose();
  });
});
