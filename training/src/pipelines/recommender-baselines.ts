/**
 * @module training/pipelines/recommender-baselines — the baselines a recommender must beat:
 * popularity, item-kNN (cosine, recency-weighted) and first-order Markov — and, where seen items may
 * come back, buy-again (the shopper's own items first) — fitted on the training part
 * of a leave-last-out split, with item-kNN's settings chosen on the validation items.
 */

import type { NextItemScorer } from '@aisle/shared-models/models/baselines';
import {
  fitBuyAgain,
  fitItemKnn,
  fitMarkov,
  fitPopularity,
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

/** The baselines judged on the split; `excludeSeen: false` lets them rank items already in the history too. */
export function evaluateBaselines(split: LeaveLastOut, k = 10, excludeSeen = true): BaselineResult[] {
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
  return [
    judged(fitPopularity(split.train, size), ''),
    judged(fitMarkov(split.train, size), ''),
    judged((best as NonNullable<typeof best>).scorer, (best as NonNullable<typeof best>).settings),
  ];
}

/**
 * The baselines as a model is judged: with seen items excluded, or — for a model that lets them
 * come back — each baseline the better (on validation) of excluding them and ranking them too.
 */
export function fairBaselines(
  split: LeaveLastOut,
  k: number,
  excludeSeen: boolean,
  excluded = evaluateBaselines(split, k),
) {
  if (excludeSeen) return excluded;
  const buyAgain = fitBuyAgain(split.train, split.vocabulary.size);
  return [
    ...evaluateBaselines(split, k, false).map((open, i) =>
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
