/**
 * @module training/pipelines/profile-taste — the profile's second facet: each shopper's taste as
 * the recommender embeds their history, clustered by k-means (k by silhouette, on a sample), each
 * cluster named after the categories its members favour more than everyone does (lift), and as
 * mainstream or niche by how popular the items they pick are.
 */
import { itemHistories } from '@aisle/shared-models/features/profile';
import { bestKMeans, type TasteFacet } from '@aisle/shared-models/models/profile';
import type { RecommenderModel } from '@aisle/shared-models/models/recommender';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { DataError } from '../data/errors';

const K_RANGE = [2, 3, 4, 5, 6, 7, 8];
const BATCH = 256;

/** Embeddings of `users`' histories, batch by batch (undefined where the recommender knows no item). */
export function embedUsers(
  model: RecommenderModel,
  histories: Map<string, { items: string[]; types: string[] }>,
  users: readonly string[],
): (Float32Array | undefined)[] {
  const out: (Float32Array | undefined)[] = [];
  for (let i = 0; i < users.length; i += BATCH) {
    const chunk = users.slice(i, i + BATCH).map((u) => histories.get(u) ?? { items: [], types: [] });
    out.push(
      ...model.embed(
        chunk.map((h) => h.items),
        chunk.map((h) => h.types),
      ),
    );
  }
  return out;
}

const top = (counts: Map<string, number>, n: number) =>
  [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([v]) => v);

export function trainTaste(
  model: RecommenderModel,
  events: readonly Interaction[],
  asOf: number,
  seed: number,
): { facet: TasteFacet; centroids: Float32Array } {
  const histories = itemHistories(events, asOf);
  const users = [...histories.keys()];
  const embeddings = embedUsers(model, histories, users);
  const known = users.map((u, i) => ({ user: u, v: embeddings[i] })).filter((x) => x.v !== undefined);
  if (known.length < 10) {
    throw new DataError(`the recommender knows items of only ${known.length} users here; taste needs at least 10`);
  }
  const dim = model.manifest.config.dim;
  const x = new Float32Array(known.length * dim);
  for (const [i, { v }] of known.entries()) x.set(v as Float32Array, i * dim);
  const chosen = bestKMeans(
    x,
    dim,
    K_RANGE.filter((k) => k < known.length),
    seed,
  );
  const categoryOf = new Map<string, string>();
  for (const e of events) if (e.item_id && e.category) categoryOf.set(e.item_id, e.category);
  // What everyone interacts with: a segment is named by what it favours more than that.
  const allCategories = new Map<string, number>();
  const popularity = new Map<string, number>();
  for (const { user } of known) {
    for (const item of (histories.get(user) as { items: string[] }).items) {
      popularity.set(item, (popularity.get(item) ?? 0) + 1);
      const c = categoryOf.get(item);
      if (c) allCategories.set(c, (allCategories.get(c) ?? 0) + 1);
    }
  }
  const allCategorised = [...allCategories.values()].reduce((x, y) => x + y, 0);
  const allEvents = [...popularity.values()].reduce((x, y) => x + y, 0);
  // The mean popularity of the item behind an event, over everyone: mainstream above it, niche below.
  const meanPopularity = [...popularity.values()].reduce((x, c) => x + c * c, 0) / allEvents;
  const names = new Map<string, number>();
  const segments = Array.from({ length: chosen.best.k }, (_, j) => {
    const categories = new Map<string, number>();
    const items = new Map<string, number>();
    let size = 0;
    let popular = 0;
    let count = 0;
    for (const [i, { user }] of known.entries()) {
      if (chosen.best.assignment[i] !== j) continue;
      size++;
      for (const item of (histories.get(user) as { items: string[] }).items) {
        items.set(item, (items.get(item) ?? 0) + 1);
        popular += popularity.get(item) ?? 0;
        count++;
        const c = categoryOf.get(item);
        if (c) categories.set(c, (categories.get(c) ?? 0) + 1);
      }
    }
    const categorised = [...categories.values()].reduce((x, y) => x + y, 0);
    // Lift: a category's share here over its share overall, among categories with a real share here.
    const lift = new Map(
      [...categories]
        .filter(([, n]) => n / categorised >= 0.05)
        .map(([c, n]) => [c, n / categorised / ((allCategories.get(c) as number) / allCategorised)]),
    );
    const topCategories = top(lift, 3).filter((c) => (lift.get(c) as number) > 1.1);
    const topItems = top(items, 5);
    const relative = count ? popular / count / meanPopularity : 1;
    const reach = relative > 1.25 ? 'mainstream' : relative < 0.8 ? 'niche' : '';
    const favours = topCategories.slice(0, 2).join(' + ');
    const base = `taste: ${[reach, favours].filter(Boolean).join(', ') || 'broad'}`;
    const seen = (names.get(base) ?? 0) + 1;
    names.set(base, seen);
    return {
      id: j,
      name: seen > 1 ? `${base} (${seen})` : base,
      size,
      top_categories: topCategories,
      top_items: topItems,
    };
  });
  return {
    facet: {
      recommender_version: model.manifest.version,
      k: chosen.best.k,
      silhouette: chosen.silhouette,
      dim,
      segments,
    },
    centroids: chosen.best.centroids,
  };
}
