import { expect, it } from 'vitest';
import { createDeduper } from './dedupe';

it('drops an echo from another channel within the window', () => {
  let now = 0;
  const shouldCount = createDeduper(2000, () => now);
  expect(shouldCount('add_to_cart|A', 'datalayer')).toBe(true);
  now = 1500;
  expect(shouldCount('add_to_cart|A', 'markup')).toBe(false);
  expect(shouldCount('add_to_cart|B', 'markup')).toBe(true);
  now = 3600;
  expect(shouldCount('add_to_cart|A', 'markup')).toBe(true);
});

it('counts a channel repeating itself: two clicks are two add-to-carts', () => {
  const shouldCount = createDeduper(2000, () => 0);
  expect(shouldCount('add_to_cart|A', 'markup')).toBe(true);
  expect(shouldCount('add_to_cart|A', 'markup')).toBe(true);
  expect(shouldCount('add_to_cart|A', 'datalayer')).toBe(false);
});
