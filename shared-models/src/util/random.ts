/** @module shared-models/util/random — a small seeded generator (mulberry32): the same seed, the same split, every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `xs` in place with `rnd` (Fisher–Yates, from the end): the same generator, the same order. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(xs: T, rnd: () => number): T {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
