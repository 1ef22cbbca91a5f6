import { random } from '@aisle/shared-models/util/random';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  bestF1Threshold,
  classify,
  fitPlatt,
  liftAt,
  rocAuc,
  rocAucStandardError,
} from './classification';

describe('classification metrics', () => {
  it('ROC-AUC is 1 for a perfect ranking, 0.5 for ties, and counts pairs in between', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // Positives at 0.8 and 0.3, negatives at 0.5 and 0.1: 3 of 4 pairs ordered right.
    expect(rocAuc([0.8, 0.5, 0.3, 0.1], [1, 0, 1, 0])).toBe(0.75);
  });

  it("ROC-AUC's standard error is Mann and Whitney's under no signal, and the spread of AUCs drawn again", () => {
    // With A = 0.5 it is exactly the null variance of the U statistic: (n1 + n0 + 1) / (12 n1 n0).
    expect(rocAucStandardError(0.5, 40, 60)).toBeCloseTo(Math.sqrt(101 / (12 * 40 * 60)), 12);
    expect(rocAucStandardError(1, 10, 10)).toBe(0);
    // Scores N(1, 1) for 80 positives and N(0, 1) for 120 negatives, drawn 400 times: the AUCs'
    // standard deviation is within a tenth of the formula's at their mean.
    const rnd = random(7);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const labels = Array.from({ length: 200 }, (_, i) => (i < 80 ? 1 : 0));
    const aucs = Array.from({ length: 400 }, () =>
      rocAuc(
        labels.map((y) => y + normal()),
        labels,
      ),
    );
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    const sd = Math.sqrt(aucs.reduce((s, a) => s + (a - mean) ** 2, 0) / (aucs.length - 1));
    expect(sd / rocAucStandardError(mean, 80, 120)).toBeGreaterThan(0.9);
    expect(sd / rocAucStandardError(mean, 80, 120)).toBeLessThan(1.1);
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
