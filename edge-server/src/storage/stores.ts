/**
 * @module edge-server/storage/stores — the stores written once over `Sql` that both adapters lend
 * the same way: the registry, profiles, webhooks, shoppers, read-only tokens, risk labels, consent
 * counts and scoring runs. (Events and rollups differ per adapter: they are built in each.)
 */
import { accessOver } from './access';
import { consentCountsOver } from './consent-counts';
import { profilesOver } from './profiles';
import { registryOver } from './registry';
import { riskLabelsOver } from './risk-labels';
import { scoreRunsOver } from './score-runs';
import { shoppersOver } from './shoppers';
import type { Sql } from './sql';
import { webhooksOver } from './webhooks';

export function storesOver(sql: Sql) {
  return {
    registry: registryOver(sql),
    profiles: profilesOver(sql),
    webhooks: webhooksOver(sql),
    shoppers: shoppersOver(sql),
    access: accessOver(sql),
    riskLabels: riskLabelsOver(sql),
    consentCounts: consentCountsOver(sql),
    scoreRuns: scoreRunsOver(sql),
  };
}
