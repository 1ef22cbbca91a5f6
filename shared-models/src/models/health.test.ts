import { describe, expect, it } from 'vitest';
import { modelHealth } from './health';

describe('modelHealth', () => {
  it('judges each kind of model against its own simple baseline, from the metrics its manifest carries', () => {
    expect(modelHealth('churn', { test: { rocAuc: 0.79 } })).toMatchObject({ verdict: 'ok', value: 0.79 });
    // At the bar is not above it; the scoring run's flat metrics read the same.
    expect(modelHealth('churn', { rocAuc: 0.55 })).toMatchObject({ verdict: 'weak' });
    expect(modelHealth('churn', { test: { rocAuc: 0.49 } }).reason).toMatch(
      /^held-out ROC-AUC 0\.490: no better than chance/,
    );
    const rec = (own: number, popular: number) =>
      modelHealth('recommender', { compared: { recommender: { test: own }, popularity: { test: popular } } });
    expect(rec(0.3, 0.1)).toMatchObject({ verdict: 'ok', baseline: { name: 'popularity', value: 0.1 } });
    expect(rec(0.1, 0.1).verdict).toBe('weak');
    const anomaly = (own: number, plain: number) =>
      modelHealth('anomaly', { held_out: { roc_auc: own, baseline_roc_auc: plain } });
    expect(anomaly(0.99, 0.9).verdict).toBe('ok');
    expect(anomaly(0.8, 0.9).verdict).toBe('weak');
    expect(modelHealth('profile', { silhouette: 0.22 }).verdict).toBe('ok');
    expect(modelHealth('profile', { silhouette: 0.04 }).verdict).toBe('weak');
  });

  it('says a model is not judged, rather than fine, when it carries nothing to judge by', () => {
    for (const [name, metrics] of [
      ['churn', {}],
      ['churn', null],
      ['churn', { test: { rocAuc: Number.NaN } }],
      ['recommender', { ndcg_at_10: 'high' }],
      ['anomaly', { sessions: 500 }],
      ['profile', undefined],
      ['catalog', { items: 3 }],
    ] as const)
      expect(modelHealth(name, metrics), name).toMatchObject({ verdict: 'unknown', value: null });
    // A recommender without a popularity baseline beside it: its number, but no verdict.
    expect(modelHealth('recommender', { ndcg_at_10: 0.4 })).toMatchObject({ verdict: 'unknown', value: 0.4 });
  });
});
