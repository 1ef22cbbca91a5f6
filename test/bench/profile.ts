/**
 * @module test/bench/profile — shopper segments on MovieLens-100k (each movie's first genre as its
 * category): the behaviour facet's k and silhouette, and the taste facet from a briefly trained
 * recommender, measured by how often a user's favourite genre names their taste segment, against
 * naming every user after the most common genre.
 */
import { itemHistories } from '@aisle/shared-models/features/profile';
import { assignTaste } from '@aisle/shared-models/models/profile';
import { useBackend } from '../../training/src/backend';
import { leaveLastOut } from '../../training/src/data/sequences';
import { trainProfile } from '../../training/src/pipelines/profile';
import { embedUsers, trainTaste } from '../../training/src/pipelines/profile-taste';
import { trainRecommender } from '../../training/src/pipelines/recommender-sasrec';
import { movieLens100k, movieLensMissing } from './datasets';
import { type Row, report } from './report';

const RECOMMENDER_EPOCHS = 5;

export async function benchProfile() {
  const absent = movieLensMissing();
  if (absent) {
    console.warn(`\nprofile: skipped, ${absent}`);
    return;
  }
  const backend = await useBackend('wasm');
  const events = movieLens100k({ genres: true });
  const asOf = events[events.length - 1].ts;

  let started = performance.now();
  const behaviour = trainProfile(events, { asOf });
  const behaviourSeconds = (performance.now() - started) / 1000;

  const { model } = await trainRecommender(leaveLastOut(events), { epochs: RECOMMENDER_EPOCHS });
  started = performance.now();
  const taste = trainTaste(model, events, asOf, 42);
  const tasteSeconds = (performance.now() - started) / 1000;
  const histories = itemHistories(events, asOf);
  const users = [...histories.keys()];
  const assigned = assignTaste(taste.facet, taste.centroids, embedUsers(model, histories, users));
  model.dispose();

  // A user's favourite genre, and whether their taste segment is named after it.
  const genreOf = new Map(events.map((e) => [e.item_id, e.category ?? '']));
  const favourite = users.map((u) => {
    const counts = new Map<string, number>();
    for (const item of histories.get(u)?.items ?? []) {
      const g = genreOf.get(item) ?? '';
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1])[0][0];
  });
  const behaviourOf = new Map(behaviour.users.map((u, i) => [u, behaviour.assignment[i]]));
  const tasteInfo = normalisedMutualInformation(
    assigned.map((a) => String(a.taste_segment)),
    favourite,
  );
  const behaviourInfo = normalisedMutualInformation(
    users.map((u) => String(behaviourOf.get(u))),
    favourite,
  );

  const rows: Row[] = [
    {
      metric: `behaviour facet: k = ${behaviour.manifest.k} by silhouette`,
      value: behaviour.manifest.silhouette,
      unit: '',
      reference: behaviour.tried.map((t) => `${t.k}: ${t.silhouette.toFixed(3)}`).join(', '),
    },
    { metric: 'behaviour facet: features, k-means and silhouette for k = 2…8', value: behaviourSeconds, unit: 's' },
    {
      metric: `taste facet: k = ${taste.facet.k}, silhouette`,
      value: taste.facet.silhouette,
      unit: '',
    },
    {
      metric: "taste facet: what its segments tell of users' favourite genre (NMI)",
      value: tasteInfo,
      unit: '',
      reference: `behaviour facet's segments: ${behaviourInfo.toFixed(4)}`,
      pass: tasteInfo > behaviourInfo,
    },
    {
      metric: `taste facet: embed ${users.length} users, k-means for k = 2…8 (${backend})`,
      value: tasteSeconds,
      unit: 's',
    },
  ];
  report(
    'profile',
    `Profiles on MovieLens-100k (first genre as category), ${behaviour.users.length} users; taste from a ${RECOMMENDER_EPOCHS}-epoch recommender`,
    rows,
    {
      segments: behaviour.manifest.segments.map((s) => ({ name: s.name, size: s.size })),
      taste: taste.facet.segments.map((s) => ({ name: s.name, size: s.size })),
    },
  );
  console.log(
    `segments: ${behaviour.manifest.segments.map((s) => `${s.name} ${s.size}`).join(', ')}\ntaste: ${taste.facet.segments.map((s) => `${s.name} ${s.size}`).join(', ')}`,
  );
}

/** Mutual information of two labellings over the same users, divided by the mean of their entropies (0 independent, 1 the same partition). */
function normalisedMutualInformation(a: readonly string[], b: readonly string[]): number {
  const n = a.length;
  const count = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const entropy = (m: Map<string, number>) => [...m.values()].reduce((h, c) => h - (c / n) * Math.log(c / n), 0);
  const ca = count(a);
  const cb = count(b);
  const joint = count(a.map((x, i) => `${x}\u0000${b[i]}`));
  let mi = 0;
  for (const [key, c] of joint) {
    const [x, y] = key.split('\u0000');
    mi += (c / n) * Math.log((c * n) / ((ca.get(x) as number) * (cb.get(y) as number)));
  }
  const h = (entropy(ca) + entropy(cb)) / 2;
  return h > 0 ? mi / h : 0;
}
