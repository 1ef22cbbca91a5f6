import { describe, expect, it } from 'vitest';
import { columnSpans, encodeRows, fitTabular, inputNames, inputSize } from './tabular';

const rows = [
  { spend: '10', plan: 'basic', region: '1', visits: '0' },
  { spend: '', plan: 'pro', region: '2', visits: '1' },
  { spend: '30', plan: 'basic', region: '1', visits: '2' },
  { spend: '20', plan: 'pro', region: '2', visits: '900' },
  { spend: '20', plan: 'solo', region: '1', visits: '1' },
];

describe('tabular encoding', () => {
  const schema = fitTabular(rows, ['spend', 'plan', 'region', 'visits'], new Set(['region']));

  it('tells numbers from categories, and takes numeric codes as categories when told', () => {
    expect(schema.columns.map((c) => c.kind)).toEqual(['numeric', 'categorical', 'categorical', 'numeric']);
    // Values seen once share the out-of-vocabulary bucket with unseen ones.
    expect(schema.columns[1]).toMatchObject({ values: ['basic', 'pro'] });
    expect(inputNames(schema)).toEqual([
      'spend',
      'plan=?',
      'plan=basic',
      'plan=pro',
      'region=?',
      'region=1',
      'region=2',
      'visits',
    ]);
    expect(columnSpans(schema).map((s) => [s.start, s.width])).toEqual([
      [0, 1],
      [1, 3],
      [4, 3],
      [7, 1],
    ]);
  });

  it('standardises numbers, fills blanks with the median, and log-scales a long tail', () => {
    const spend = schema.columns[0];
    expect(spend).toMatchObject({ kind: 'numeric', transform: 'none', fill: 20 });
    expect(schema.columns[3]).toMatchObject({ transform: 'log1p' });
    const x = encodeRows(schema, rows);
    const size = inputSize(schema);
    const col = (c: number) => rows.map((_, r) => x[r * size + c]);
    const mean = col(0).reduce((s, v) => s + v, 0) / rows.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(col(0)[1]).toBeCloseTo(col(0)[3]); // the blank became the median, 20
  });

  it('one-hot encodes categories, with unseen and blank values in the bucket', () => {
    const x = encodeRows(schema, [
      { spend: '10', plan: 'enterprise', region: '', visits: '1' },
      { plan: 'pro', region: '2' },
    ]);
    const size = inputSize(schema);
    expect(Array.from(x.subarray(1, 7))).toEqual([1, 0, 0, 1, 0, 0]);
    expect(Array.from(x.subarray(size + 1, size + 7))).toEqual([0, 0, 1, 0, 0, 1]);
  });
});
