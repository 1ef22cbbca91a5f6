import { describe, expect, it } from 'vitest';
import { random } from '../../util/random';
import { kmeans, silhouette } from './kmeans';
import { segmentName } from './model';

/** Three tight blobs in two dimensions, 50 points each. */
function blobs() {
  const rnd = random(9);
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const x = new Float32Array(150 * 2);
  centres.forEach(([cx, cy], c) => {
    for (let i = 0; i < 50; i++) {
      x[(c * 50 + i) * 2] = cx + rnd() - 0.5;
      x[(c * 50 + i) * 2 + 1] = cy + rnd() - 0.5;
    }
  });
  return x;
}

describe('k-means', () => {
  it('finds three blobs, each point with its own blob', () => {
    const { assignment } = kmeans(blobs(), 2, 3, 1);
    for (let c = 0; c < 3; c++) {
      const labels = new Set(assignment.subarray(c * 50, (c + 1) * 50));
      expect(labels.size).toBe(1);
    }
    expect(new Set(assignment).size).toBe(3);
  });

  it('gives the right k the best silhouette', () => {
    const x = blobs();
    const score = (k: number) => silhouette(x, 2, kmeans(x, 2, k, 1).assignment, k);
    expect(score(3)).toBeGreaterThan(0.8);
    expect(score(3)).toBeGreaterThan(score(2));
    expect(score(3)).toBeGreaterThan(score(5));
  });

  it('is the same for the same seed', () => {
    expect(kmeans(blobs(), 2, 3, 4).centroids).toEqual(kmeans(blobs(), 2, 3, 4).centroids);
  });
});

describe('segment names', () => {
  it('reads a name off a standardised centroid', () => {
    expect(segmentName({ revenue: 1.2, purchases: 1, days_since_last_event: -0.5 })).toBe('high-value loyal');
    expect(segmentName({ revenue: -0.5, purchases: -0.5, days_since_last_event: 1.5 })).toBe('lapsing');
    expect(
      segmentName({ views: 0.8, purchases: -0.6, days_since_last_event: 0, days_since_first_event: 0, events: 0.2 }),
    ).toBe('window shoppers');
    expect(segmentName({ purchases: 0.3, average_order_value: -1, revenue: 0, days_since_last_event: 0 })).toBe(
      'bargain hunters',
    );
  });
});
