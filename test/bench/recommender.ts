/** @module test/bench/recommender — next-item quality on MovieLens-100k, leave-last-out, full ranking. */
import { leaveLastOut } from '../../training/src/data/sequences';
import { evaluateBaselines } from '../../training/src/pipelines/recommender-baselines';
import { movieLens100k, movieLensMissing } from './datasets';
import { type Row, report } from './report';

export function benchRecommender() {
  const absent = movieLensMissing();
  if (absent) {
    console.warn(`\nrecommender: skipped, ${absent}`);
    return;
  }
  const start = performance.now();
  const split = leaveLastOut(movieLens100k());
  const results = evaluateBaselines(split);
  const seconds = (performance.now() - start) / 1000;
  const rows: Row[] = results.flatMap((r) => [
    {
      metric: `${r.model}: NDCG@10${r.settings ? ` (${r.settings})` : ''}`,
      value: r.test.ndcg,
      unit: '',
      reference: r.model === 'item-knn' ? 'about 0.10 expected (issue)' : undefined,
    },
    { metric: `${r.model}: HR@10`, value: r.test.hitRate, unit: '' },
  ]);
  rows.push({ metric: 'fit, tune and evaluate all three', value: seconds, unit: 's' });
  report(
    'recommender',
    `Next-item recommendation on MovieLens-100k: ${split.test.length} users, leave-last-out, full ranking over ${split.vocabulary.size - 1} items, seen items excluded`,
    rows,
    { results },
  );
}
