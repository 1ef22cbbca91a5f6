/**
 * @module edge-server/churn-model — the churn model a site's scores came from, as the edge knows it:
 * the newest version published to its registry, else what the last scoring run reported (`aisle
 * score churn --publish` from a model never published). Its test metrics, and the verdict on them
 * that decides whether retention actions may follow its risk bands.
 */
import { type ModelHealth, modelHealth } from '@aisle/shared-models/models/health';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import type { Storage } from './storage';

export interface ChurnModel {
  version: number;
  threshold: number | null;
  /** The held-out (test) metrics: ROC-AUC, PR-AUC, precision, recall, F1. */
  metrics: Record<string, unknown> | null;
  /** The customer-value report the model or the run carried, unparsed. */
  value: unknown;
  health: ModelHealth;
}

export async function churnModelOf(storage: Storage, site: string): Promise<ChurnModel | null> {
  const [versions, runs] = await Promise.all([
    storage.registry.versions(site, 'churn'),
    storage.scoreRuns.latest(site, 'churn', 1),
  ]);
  const top = versions.sort((a, b) => b.version - a.version)[0];
  const model = top && (JSON.parse(top.manifest) as ModelManifest & { threshold?: number; value?: unknown });
  const run = runs[0]?.summary as
    | { model_version?: number; metrics?: Record<string, unknown>; value?: unknown }
    | undefined;
  const metrics = (model?.metrics as { test?: Record<string, unknown> } | undefined)?.test ?? run?.metrics ?? null;
  const version = model?.version ?? run?.model_version;
  if (version === undefined) return null;
  return {
    version,
    threshold: model?.threshold ?? null,
    metrics,
    value: model?.value ?? run?.value,
    health: modelHealth('churn', metrics),
  };
}
