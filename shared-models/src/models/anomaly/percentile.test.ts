/** The anomaly score: a percentile of normal traffic, with a fitted tail above the 99th so the top is never a tie. */
import { describe, expect, it } from 'vitest';
import { percentileOf } from './model';

const points = Array.from({ length: 101 }, (_, p) => p / 10); // p-th percentile at error p / 10

describe('percentileOf', () => {
  it('interpolates the calibration percentiles up to the 99th, tail or not', () => {
    for (const error of [0, 0.05, 2.5, 5.55, 9.9]) {
      expect(percentileOf(error, points, 0.4)).toBeCloseTo(percentileOf(error, points), 12);
    }
    expect(percentileOf(5.55, points)).toBeCloseTo(0.555, 12);
  });

  it('without a tail, ties every error past the largest calibration error at 1', () => {
    expect(new Set([10, 12, 50].map((e) => percentileOf(e, points))).size).toBe(1);
  });

  it('with a tail, keeps rising past the 99th percentile, continuous there and below 1', () => {
    const errors = [9.9, 9.95, 10, 10.5, 12, 20, 1e3, 1e6];
    const scores = errors.map((e) => percentileOf(e, points, 0.5));
    expect(scores[0]).toBeCloseTo(0.99, 12);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThan(scores[i - 1]);
    expect(Math.max(...scores)).toBeLessThan(1);
    expect(percentileOf(9.9 + 1e-9, points, 0.5)).toBeCloseTo(0.99, 6);
  });
});
