import { afterEach, describe, expect, it, vi } from 'vitest';
import { oneAtATime } from './client';

describe('recommendations and risk checks, paced', () => {
  afterEach(() => vi.useRealTimers());

  it('runs a lone call at once, a burst as one more run a gap later, never two at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const starts: number[] = [];
    let inFlight = 0;
    let most = 0;
    const call = oneAtATime(async () => {
      starts.push(performance.now());
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    }, 250);
    void call();
    expect(starts).toEqual([expect.any(Number)]);
    // A burst: forty calls, one every millisecond.
    for (let i = 0; i < 40; i++) {
      void call();
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toHaveLength(2);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(250);
    expect(most).toBe(1);
    // Long after: at once again.
    const before = starts.length;
    void call();
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toHaveLength(before + 1);
  });
});
