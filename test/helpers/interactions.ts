/**
 * @module test/helpers/interactions — a shop's interaction log with structure a model can learn:
 * shoppers keep to one category and walk its items in order, with some random views between.
 */

import { random } from '../../shared-models/src/util/random';
import type { Interaction } from '../../training/src/data/interchange';

export function shopLog({ users = 200, categories = 6, perCategory = 10, seed = 7 } = {}): Interaction[] {
  const rnd = random(seed);
  const rows: Interaction[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let u = 0; u < users; u++) {
    const category = Math.floor(rnd() * categories);
    let position = Math.floor(rnd() * perCategory);
    const length = 5 + Math.floor(rnd() * 10);
    for (let k = 0; k < length; k++) {
      const noise = rnd() < 0.15;
      const c = noise ? Math.floor(rnd() * categories) : category;
      const item = noise ? Math.floor(rnd() * perCategory) : position;
      position = (position + 1) % perCategory;
      rows.push({
        user_id: `u${u}`,
        item_id: `c${c}-i${item}`,
        type: k % 4 === 3 ? 'add_to_cart' : 'view_item',
        ts: start + u * 3_600_000 + k * 60_000,
        session_id: `u${u}-s1`,
        price: 10 + item,
        category: `cat${c}`,
      });
    }
  }
  return rows;
}

/** The rows as an interchange CSV. */
export function toCsv(rows: readonly Interaction[]): string {
  const columns = ['user_id', 'item_id', 'type', 'ts', 'session_id', 'price', 'quantity', 'category'] as const;
  return `${columns.join(',')}\n${rows.map((r) => columns.map((c) => r[c] ?? '').join(',')).join('\n')}\n`;
}
