/** The anomaly model's encoding: what normal traffic never varied on weighs as never seen. */
import { describe, expect, it } from 'vitest';
import { encodeRows } from '../../features/tabular';
import { anomalySchema, NEVER_VARIED_SPREAD } from './model';

describe('anomalySchema', () => {
  // A log of ratings: every film rated once in its sitting (breadth 1), no sign-ins, sittings of varied length.
  const rows = Array.from({ length: 200 }, (_, i) => ({
    events: String(5 + (i % 40)),
    item_breadth: '1',
    logins: '0',
    mean_gap_s: i % 7 === 0 ? '' : String(3 + (i % 11)),
  }));
  const schema = anomalySchema(rows, ['events', 'item_breadth', 'logins', 'mean_gap_s']);
  const column = (name: string) => schema.columns.find((c) => c.name === name);

  it('gives a column every normal session has the same value in a spread of a hundredth', () => {
    expect(column('item_breadth')).toMatchObject({ std: NEVER_VARIED_SPREAD, mean: 1 });
    expect(column('logins')).toMatchObject({ std: NEVER_VARIED_SPREAD, mean: 0 });
    // Columns that vary keep their own spread.
    expect((column('events') as { std: number }).std).toBeGreaterThan(0.1);
    expect((column('mean_gap_s') as { std: number }).std).toBeGreaterThan(0.1);
  });

  it('puts one look back, or one sign-in, many standard deviations out, within the ±20 clip', () => {
    const [events, breadth, logins] = encodeRows(schema, [
      { events: '30', item_breadth: '0.95', logins: '1', mean_gap_s: '5' },
    ]);
    expect(Math.abs(events)).toBeLessThan(3);
    expect(breadth).toBeCloseTo(-5, 5);
    expect(logins).toBe(20);
    // The normal value itself is nothing unusual.
    expect(Array.from(encodeRows(schema, [rows[3]])).slice(1, 3)).toEqual([0, 0]);
  });

  it('counts a blank as the column’s fill: blank or the same number in every session is never varied', () => {
    const mixed = anomalySchema(
      rows.map((r, i) => ({ ...r, item_breadth: i % 2 ? '' : '0.5' })),
      ['item_breadth'],
    );
    // The fill is the median (0.5 here, blanks aside): every session then reads 0.5, never varied.
    expect(mixed.columns[0]).toMatchObject({ std: NEVER_VARIED_SPREAD });
    const varied = anomalySchema(
      rows.map((r, i) => ({ ...r, item_breadth: i % 3 ? '1' : '0.8' })),
      ['item_breadth'],
    );
    expect((varied.columns[0] as { std: number }).std).toBeGreaterThan(NEVER_VARIED_SPREAD);
  });

  it('keeps the ordinary spread where any session it was given to look at varied, the calibration’s included', () => {
    // The network learns from sessions without sign-ins, but one calibration session signed in.
    const calibration = [...rows.slice(0, 50), { ...rows[0], logins: '1' }];
    const seen = anomalySchema(rows, ['logins', 'item_breadth'], [...rows, ...calibration]);
    expect((seen.columns[0] as { std: number }).std).toBe(1);
    expect((seen.columns[1] as { std: number }).std).toBe(NEVER_VARIED_SPREAD);
  });
});
