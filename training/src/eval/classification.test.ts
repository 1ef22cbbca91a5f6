import { random } from '@aisle/shared-models/util/random';
import { describe, expect, it } from 'vitest';
import { averagePrecision, bestF1Threshold, classify, fitPlatt, liftAt, pairedRocAuc, rocAuc } from './classification';

describe('classification metrics', () => {
  it('ROC-AUC is 1 for a perfect ranking, 0.5 for ties, and counts pairs in between', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // Positives at 0.8 and 0.3, negatives at 0.5 and 0.1: 3 of 4 pairs ordered right.
    expect(rocAuc([0.8, 0.5, 0.3, 0.1], [1, 0, 1, 0])).toBe(0.75);
  });

  it("compares two rankings of the same rows: the AUCs' difference and DeLong's standard error of it", () => {
    const rnd = random(11);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const labels = Array.from({ length: 90 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    // Two rankings sharing most of their signal, with ties (rounded to a tenth).
    const shared = labels.map((y) => y + normal());
    const a = shared.map((v) => Math.round((v + 0.3 * normal()) * 10) / 10);
    const b = shared.map((v) => Math.round((v + 0.3 * normal()) * 10) / 10);
    const { difference, standardError } = pairedRocAuc(a, b, labels);
    expect(difference).toBeCloseTo(rocAuc(a, labels) - rocAuc(b, labels), 12);
    // DeLong's components the long way: each positive against every negative, ties counted half.
    const pos = labels.flatMap((y, i) => (y ? [i] : []));
    const neg = labels.flatMap((y, i) => (y ? [] : [i]));
    const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
    const v10 = (s: number[]) => pos.map((i) => neg.reduce((t, j) => t + psi(s[i], s[j]), 0) / neg.length);
    const v01 = (s: number[]) => neg.map((j) => pos.reduce((t, i) => t + psi(s[i], s[j]), 0) / pos.length);
    const variance = (d: number[]) => {
      const m = d.reduce((t, v) => t + v, 0) / d.length;
      return d.reduce((t, v) => t + (v - m) ** 2, 0) / (d.length - 1);
    };
    const diff = (p: number[], q: number[]) => p.map((v, k) => v - q[k]);
    const expected = Math.sqrt(
      variance(diff(v10(a), v10(b))) / pos.length + variance(diff(v01(a), v01(b))) / neg.length,
    );
    expect(standardError).toBeCloseTo(expected, 12);
    // Far smaller than either AUC's own error, as rankings of the same rows that mostly agree are.
    expect(standardError).toBeLessThan(0.05);
    expect(pairedRocAuc(a, a, labels)).toEqual({ difference: 0, standardError: 0 });
    expect(
      pairedRocAuc(
        a,
        b,
        labels.map(() => 1),
      ).standardError,
    ).toBeNaN();
  });

  it("DeLong's standard error is the spread of the difference over rows drawn again", () => {
    // 60 positives and 90 negatives, two rankings with correlated noise, drawn 300 times.
    const rnd = random(5);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const labels = Array.from({ length: 150 }, (_, i) => (i < 60 ? 1 : 0));
    const draws = Array.from({ length: 300 }, () => {
      const shared = labels.map((y) => y + normal());
      return pairedRocAuc(
        shared.map((v) => v + 0.5 * normal()),
        shared.map((v, i) => v + 0.5 * normal() + 0.2 * labels[i]),
        labels,
      );
    });
    const mean = draws.reduce((t, d) => t + d.difference, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((t, d) => t + (d.difference - mean) ** 2, 0) / (draws.length - 1));
    const se = draws.reduce((t, d) => t + d.standardError, 0) / draws.length;
    expect(sd / se).toBeGreaterThan(0.85);
    expect(sd / se).toBeLessThan(1.15);
  });

  it('average precision rewards positives ranked first', () => {
    expect(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(averagePrecision([0.9, 0.8, 0.1], [0, 1, 1])).toBeCloseTo((1 / 2 + 2 / 3) / 2);
  });

  it('counts precision, recall and F1 at a threshold', () => {
    expect(classify([0.9, 0.6, 0.4, 0.1], [1, 0, 1, 0], 0.5)).toMatchObject({
      precision: 0.5,
      recall: 0.5,
      f1: 0.5,
      accuracy: 0.5,
    });
  });

  it('chooses the threshold with the best F1', () => {
    expect(bestF1Threshold([0.9, 0.7, 0.3, 0.2], [1, 1, 0, 0])).toBe(0.7);
  });

  it('Platt scaling recovers a known slope and offset', () => {
    const logits: number[] = [];
    const labels: number[] = [];
    const rnd = random(1);
    for (let i = 0; i < 20_000; i++) {
      const z = rnd() * 8 - 4;
      logits.push(z);
      labels.push(rnd() < 1 / (1 + Math.exp(-(2 * z - 1))) ? 1 : 0);
    }
    const { a, b } = fitPlatt(logits, labels);
    expect(a).toBeCloseTo(2, 0);
    expect(b).toBeCloseTo(-1, 0);
  });

  it('gives the lift in the top decile, sharing the cut among tied scores', () => {
    // 20 rows, 5 positive (25 %); the top 2 by score are both positive: lift 1 / 0.25 = 4.
    const scores = Array.from({ length: 20 }, (_, i) => 1 - i / 20);
    const labels = scores.map((_, i) => (i < 2 || i === 10 || i === 15 || i === 19 ? 1 : 0));
    expect(liftAt(scores, labels, 0.1)).toBeCloseTo(4);
    // Every score equal: the top decile is the whole table's rate, whatever the row order.
    expect(liftAt(new Array(20).fill(0.5), labels, 0.1)).toBeCloseTo(1);
    expect(liftAt(scores, new Array(20).fill(0), 0.1)).toBeNaN();
  });
});
