/**
 * @module shared-models/models/recommender/content — what the recommender knows of an item besides
 * who interacted with it: its category and price band. It speaks for items with few events, which
 * SASRec and item-kNN barely know; and a shopper's recent items themselves, for shops whose shoppers
 * come back to what they looked at.
 */

/** Per item index: category index and price band (0 when unknown), and how little the data knows it (1 unseen, towards 0 well known). */
export interface ContentTable {
  category: Int32Array;
  band: Int32Array;
  coldness: Float32Array;
}

/** A band's weight against a shared category's. */
const BAND_WEIGHT = 0.5;

/** The price quartiles that cut the catalogue into four bands. */
export function priceBandEdges(prices: readonly number[]): number[] {
  const known = prices.filter((p) => Number.isFinite(p) && p > 0).sort((a, b) => a - b);
  if (known.length < 4) return [];
  return [0.25, 0.5, 0.75].map((q) => known[Math.floor(q * (known.length - 1))]);
}

/** Band 1…4 of a price, 0 when unknown. */
export function priceBand(price: number, edges: readonly number[]): number {
  if (!Number.isFinite(price) || price <= 0 || !edges.length) return 0;
  let band = 1;
  for (const edge of edges) if (price > edge) band++;
  return band;
}

/**
 * Each item's content score after `history` (item indexes, oldest first): its category's and price
 * band's recency-weighted share of the history, scaled by the item's coldness.
 */
export function contentScores(table: ContentTable, history: readonly number[], decay: number): Float32Array {
  const categories = new Map<number, number>();
  const bands = new Map<number, number>();
  let w = 1;
  for (let k = history.length - 1; k >= 0; k--, w *= decay) {
    const item = history[k];
    const c = table.category[item];
    const b = table.band[item];
    if (c) categories.set(c, (categories.get(c) ?? 0) + w);
    if (b) bands.set(b, (bands.get(b) ?? 0) + w);
  }
  const out = new Float32Array(table.category.length);
  if (!categories.size && !bands.size) return out;
  for (let j = 1; j < out.length; j++) {
    const score = (categories.get(table.category[j]) ?? 0) + BAND_WEIGHT * (bands.get(table.band[j]) ?? 0);
    out[j] = score * table.coldness[j];
  }
  return out;
}

/** Each item's recency-weighted presence in the history: 1 for the latest, `decay` for the one before… */
export function recentPresence(history: readonly number[], decay: number, size: number): Float32Array {
  const out = new Float32Array(size);
  let w = 1;
  for (let k = history.length - 1; k >= 0; k--, w *= decay) {
    const item = history[k];
    if (item > 0) out[item] += w;
  }
  return out;
}
