import { describe, expect, it } from 'vitest';
import { flagRate, modelHealth } from './health';

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
    // Two measures that round alike are shown with the decimals that tell them apart.
    expect(anomaly(0.99996, 0.99991).reason).toMatch(/ROC-AUC 1\.0000 on .* feature \(0\.9999\)$/);
    expect(anomaly(1, 1).reason).toMatch(/ROC-AUC 1\.000 on .*not above .* \(1\.000\)$/);
    expect(rec(0.12341, 0.1234).reason).toMatch(/NDCG@10 0\.12341, above .* \(0\.12340\)$/);
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

describe('flagRate', () => {
  it("warns when a period's flagged share is far past the calibrated one, as a real shop's autumn was", () => {
    // Online Retail's autumn at flag_at 0.99: 12.7 % flagged.
    const autumn = flagRate(427, 3360, 0.99);
    expect(autumn).toMatchObject({ verdict: 'high', expected: expect.closeTo(0.01, 9) });
    expect(autumn.share).toBeCloseTo(0.127, 3);
    expect(autumn.reason).toMatch(
      /^12\.7 % of this period's sessions were flagged \(427 of 3360\) .* about 1\.0 % .*forged.*aisle train anomaly --from STORE/,
    );
    // On calibration, or a little above it by chance, no alarm.
    expect(flagRate(100, 10_000, 0.99).verdict).toBe('ok');
    expect(flagRate(15, 1000, 0.99).verdict).toBe('ok');
    expect(flagRate(30, 10_000, 0.99).verdict).toBe('ok');
  });

  it('says nothing of a rate from a handful of flags, no sessions or a threshold that is no percentile', () => {
    // One flagged of five sessions is 20 %, and says nothing.
    expect(flagRate(1, 5, 0.99)).toMatchObject({ verdict: 'unknown', share: 0.2 });
    expect(flagRate(1, 5, 0.99).reason).toMatch(/^1 of 5 sessions flagged: too few flags/);
    expect(flagRate(0, 0, 0.99)).toMatchObject({ verdict: 'unknown', share: null });
    // An operator's manifest: 99 (a percent), 1, 0.5 or less, a string — none calibrates a share.
    for (const flagAt of [99, 1, 0.5, -1, Number.NaN, '0.99' as unknown as number]) {
      const rate = flagRate(50, 100, flagAt);
      expect(rate, String(flagAt)).toMatchObject({ verdict: 'unknown', expected: 0 });
      expect(rate.reason).toMatch(/no percentile/);
    }
    // More flagged than seen cannot happen from the store's counts; read as at most all of them.
    expect(flagRate(40, 20, 0.99)).toMatchObject({ verdict: 'high', share: 1 });
  });
});
