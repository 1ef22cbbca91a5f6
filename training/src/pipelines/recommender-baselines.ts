/**
 * @module training/pipelines/recommender-baselines — the baselines a recommender must beat:
 * popularity, item-kNN (cosine, recency-weighted), first-order Markov, and session-kNN (SKNN) and
 * its vector-multiplied form (V-SKNN) — and, where seen items may come back, buy-again (the
 * shopper's own items first) — fitted on the training part of a split (leave-last-out, or the
 * session-based one), with item-kNN's and the session-kNNs' settings chosen on the validation items.
 */

import type { NextItemScorer } from '@aisle/shared-models/models/baselines';
import {
  fitBuyAgain,
  fitItemKnn,
  fitMarkov,
  fitPopularity,
  fitSessionKnn,
  type SessionKnnConfig,
  sessionIndex,
  similarityTable,
} from '@aisle/shared-models/models/baselines';
import type { LeaveLastOut } from '../data/sequences';
import { evaluateRanking, type RankingMetrics } from '../eval/ranking';

export interface BaselineResult {
  model: string;
  /** The settings chosen on validation, for the report. */
  settings: string;
  valid: RankingMetrics;
  test: RankingMetrics;
}

const KNN_NEIGHBOURS = [100, 1000];
const KNN_DECAY = [1, 0.8, 0.6, 0.4];
/** SKNN's and V-SKNN's settings tried on validation (the ranges Ludewig, Latifi & Jannach tune over). */
const SKNN_GRID: SessionKnnConfig[] = [50, 100, 500].flatMap((k) => [500, 1000].map((sample) => ({ k, sample })));
const VSKNN_GRID: SessionKnnConfig[] = [100, 500].flatMap((k) =>
  (['linear', 'div'] as const).flatMap((weighting) => [0, 1, 10].map((idf) => ({ k, sample: 1000, weighting, idf }))),
);

const GRID_CASES = 5000;

/** The setting of `grid` with the best validation NDCG@k (on at most `GRID_CASES` of its cases), and its scorer. */
function chosen(
  grid: readonly SessionKnnConfig[],
  fit: (c: SessionKnnConfig) => NextItemScorer,
  split: LeaveLastOut,
  k: number,
  excludeSeen: boolean,
) {
  let best: { scorer: NextItemScorer; settings: string; ndcg: number } | undefined;
  // Every n-th validation case, at most GRID_CASES: each setting costs a pass over the neighbours.
  const step = Math.max(1, Math.ceil(split.valid.length / GRID_CASES));
  const valid = split.valid.filter((_, i) => i % step === 0);
  for (const config of grid) {
    const scorer = fit(config);
    const { ndcg } = evaluateRanking(scorer, valid, { k, excludeSeen });
    const settings = Object.entries(config)
      .map(([key, v]) => `${key} ${v}`)
      .join(', ');
    if (!best || ndcg > best.ndcg) best = { scorer, settings, ndcg };
  }
  return best as NonNullable<typeof best>;
}

/**
 * The baselines judged on the split; `excludeSeen: false` lets them rank items already in the
 * history too; `sessionKnn` adds SKNN and V-SKNN (their settings searched on validation: slower).
 */
export function evaluateBaselines(
  split: LeaveLastOut,
  k = 10,
  excludeSeen = true,
  { sessionKnn = false }: { sessionKnn?: boolean } = {},
): BaselineResult[] {
  const size = split.vocabulary.size;
  const judged = (model: NextItemScorer, settings: string): BaselineResult => ({
    model: model.name,
    settings,
    valid: evaluateRanking(model, split.valid, { k, excludeSeen }),
    test: evaluateRanking(model, split.test, { k, excludeSeen }),
  });
  let best: { scorer: NextItemScorer; settings: string; ndcg: number } | undefined;
  const table = similarityTable(split.train, size);
  for (const neighbours of KNN_NEIGHBOURS) {
    for (const decay of KNN_DECAY) {
      const scorer = fitItemKnn(split.train, size, { neighbours, decay }, table);
      const { ndcg } = evaluateRanking(scorer, split.valid, { k, excludeSeen });
      if (!best || ndcg > best.ndcg) best = { scorer, settings: `neighbours ${neighbours}, decay ${decay}`, ndcg };
    }
  }
  const results = [
    judged(fitPopularity(split.train, size), ''),
    judged(fitMarkov(split.train, size), ''),
    judged((best as NonNullable<typeof best>).scorer, (best as NonNullable<typeof best>).settings),
  ];
  if (!sessionKnn) return results;
  const index = sessionIndex(split.train, size);
  for (const grid of [SKNN_GRID, VSKNN_GRID]) {
    const found = chosen(grid, (c) => fitSessionKnn(split.train, size, c, index), split, k, excludeSeen);
    results.push(judged(found.scorer, found.settings));
  }
  return results;
}

/**
 * The baselines as a model is judged: with seen items excluded, or — for a model that lets them
 * come back — each baseline the better (on validation) of excluding them and ranking them too.
 */
export function fairBaselines(
  split: LeaveLastOut,
  k: number,
  excludeSeen: boolean,
  excluded?: BaselineResult[],
  options: { sessionKnn?: boolean } = {},
) {
  excluded ??= evaluateBaselines(split, k, true, options);
  if (excludeSeen) return excluded;
  const buyAgain = fitBuyAgain(split.train, split.vocabulary.size);
  return [
    ...evaluateBaselines(split, k, false, options).map((open, i) =>
      open.valid.ndcg > excluded[i].valid.ndcg
        ? { ...open, settings: `${open.settings} repeats allowed`.trim() }
        : excluded[i],
    ),
    // Where items come back, the shopper's own items are the baseline a shop of repeat buyers has.
    {
      model: buyAgain.name,
      settings: '',
      valid: evaluateRanking(buyAgain, split.valid, { k, excludeSeen: false }),
      test: evaluateRanking(buyAgain, split.test, { k, excludeSeen: false }),
    },
  ];
}
