import { expect, it } from 'vitest';
import { createBackoff } from './backoff';

it('doubles the ceiling each attempt up to the cap, with full jitter', () => {
  const top = createBackoff(1000, 8000, () => 0.999_999);
  expect([1, 2, 3, 4, 5].map(() => top.next())).toEqual([1000, 2000, 4000, 8000, 8000]);
  const bottom = createBackoff(1000, 8000, () => 0);
  expect(bottom.next()).toBe(0);
});

it("honours the server's Retry-After as a floor and starts over after reset", () => {
  const b = createBackoff(1000, 8000, () => 0.5);
  expect(b.next(30_000)).toBe(30_000);
  b.next();
  b.reset();
  expect(b.attempts).toBe(0);
  expect(b.next()).toBe(500);
});
