/** The anomaly model's files, written and read back with its manifest: the same scores and reasons. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RARE_MAX_ITEMS } from '../../features/session';
import { fitTabular, inputSize, type TableRow, type TabularSchema } from '../../features/tabular';
import { bloomOf } from '../../util/bloom';
import { decodeAnomaly, encodeAnomaly } from './format';
import { type AnomalyManifest, anomalyNetwork, anomalySchema, createAnomalyModel } from './model';

// The CPU backend in Node prints a banner asking for tfjs-node (which cannot install here): not in the test output.
tf.env().set('PROD', true);

const rows: TableRow[] = Array.from({ length: 30 }, (_, i) => ({
  events_per_minute: String((i * 7) % 11),
  gap_cv: String(((i * 3) % 10) / 10),
  failed_payments: String(i % 5 === 0 ? 3 : 0),
}));

const COLUMNS = ['events_per_minute', 'gap_cv', 'failed_payments'];

const manifestOf = (tabular: TabularSchema): AnomalyManifest => ({
  manifest_version: 1,
  name: 'anomaly',
  version: 4,
  feature_schema_version: tabular.version,
  created_at: '2026-12-03T00:00:00.000Z',
  shards: [],
  metrics: {},
  tabular,
  error_percentiles: Array.from({ length: 101 }, (_, i) => i / 50),
  flag_at: 0.99,
});

describe('the anomaly format', () => {
  it('reads back a model that scores every session as the one written', async () => {
    const manifest = manifestOf(fitTabular(rows, COLUMNS));
    const { tabular } = manifest;
    const network = anomalyNetwork(inputSize(tabular), 5);
    const written = createAnomalyModel(network, manifest);
    const read = await decodeAnomaly(await encodeAnomaly(network), manifest);
    const a = written.score(rows);
    const b = read.score(rows);
    expect(b.map((s) => s.score)).toEqual(a.map((s) => s.score));
    expect(b.map((s) => s.reasons)).toEqual(a.map((s) => s.reasons));
    written.dispose();
    read.dispose();
  });

  it('clamps what the network sees to input_bounds, and refuses bounds that do not fit its inputs', async () => {
    const base = manifestOf(anomalySchema(rows, COLUMNS));
    const { tabular } = base;
    const network = anomalyNetwork(inputSize(tabular), 5);
    const free = createAnomalyModel(network, base);
    const clamped = createAnomalyModel(network, { ...base, input_bounds: { lo: [-1, -1, -1], hi: [1, 1, 1] } });
    const far = (epm: string) => ({ events_per_minute: epm, gap_cv: '0.5', failed_payments: '0' });
    // Beyond the range normal traffic covered the network sees the same clamped input, so the error
    // grows with the distance, whatever the network has learnt.
    const [near, further] = clamped.score([far('20'), far('40')]);
    expect(further.error).toBeGreaterThan(near.error);
    expect(free.score([far('5')])[0].error).toBeGreaterThan(0);
    for (const input_bounds of [
      { lo: [-1, -1], hi: [1, 1] },
      { lo: [-1, -1, Number.NaN], hi: [1, 1, 1] },
      { lo: [2, -1, -1], hi: [1, 1, 1] },
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is refused here
      { lo: [-1, , -1] as number[], hi: [1, 1, 1] },
    ])
      expect(() => createAnomalyModel(network, { ...base, input_bounds })).toThrow(/input_bounds/);
    network.dispose();
  });

  it('weighs each input by error_scale, keeps it through the files, and refuses a scale that does not fit', async () => {
    const base = manifestOf(anomalySchema(rows, COLUMNS));
    const network = anomalyNetwork(inputSize(base.tabular), 5);
    const plain = createAnomalyModel(network, base);
    // The third input reconstructed a hundred times more closely on normal traffic than the others.
    const manifest = { ...base, error_scale: [1, 1, 0.01] };
    const scaled = createAnomalyModel(network, manifest);
    const session = { events_per_minute: '3', gap_cv: '0.4', failed_payments: '9' };
    const [p] = plain.score([session]);
    const [s] = scaled.score([session]);
    const third = (r: typeof p) => r.reasons.find((x) => x.feature === 'failed_payments')?.share ?? 0;
    expect(s.error).toBeGreaterThan(p.error);
    expect(third(s)).toBeGreaterThan(third(p));
    const read = await decodeAnomaly(await encodeAnomaly(network), manifest);
    expect(read.score([session])[0].error).toBe(s.error);
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is refused here
    const holed = [1, , 1] as number[];
    for (const error_scale of [
      [1, 1],
      [1, 1, 0],
      [1, Number.NaN, 1],
      [1, 1, -1],
      [1, 1, Number.POSITIVE_INFINITY],
      [1, 1, 1e308],
      holed,
      'big' as unknown as number[],
    ])
      expect(() => createAnomalyModel(network, { ...base, error_scale })).toThrow(/error_scale/);
    read.dispose();
    network.dispose();
  });

  it('takes a rare_items a device can read and refuses one it cannot', () => {
    const base = manifestOf(anomalySchema(rows, COLUMNS));
    const network = anomalyNetwork(inputSize(base.tabular), 5);
    const rare = { ...bloomOf(['a', 'b']), items: 2, share: 0.04 };
    createAnomalyModel(network, { ...base, rare_items: rare });
    // The largest set the trainer writes is read; anything longer is not.
    const largest = {
      ...bloomOf(Array.from({ length: RARE_MAX_ITEMS }, (_, i) => `p${i}`)),
      items: RARE_MAX_ITEMS,
      share: 0.05,
    };
    createAnomalyModel(network, { ...base, rare_items: largest }).score([rows[0]]);
    for (const rare_items of [
      { ...largest, bits: `${largest.bits}AAAA` },
      { ...rare, bits: 'not base64!' },
      { ...rare, bits: 'QUJD' + 'A'.repeat(50_000) },
      { ...rare, bits: 'QUJ' },
      { ...rare, hashes: 0 },
      { ...rare, hashes: 1e9 },
      { ...rare, share: 2 },
      { ...rare, items: Number.NaN },
      'rare' as unknown as typeof rare,
    ])
      expect(() => createAnomalyModel(network, { ...base, rare_items })).toThrow(/rare_items/);
    network.dispose();
  });
});
