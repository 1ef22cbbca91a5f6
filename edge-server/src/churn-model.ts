/**
 * @module edge-server/churn-model — the churn model a site's scores came from, as the edge knows it
 * (the last scoring run names it): its test metrics, and the verdict on them that decides whether
 * retention actions may follow its risk bands.
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

/**
 * The model the site's churn scores came from: the version the last scoring run names (its
 * manifest from the registry where it was published there, else what the run reported of it);
 * without a run, the newest version published. Null when there is neither.
 */
export async function churnModelOf(storage: Storage, site: string): Promise<ChurnModel | null> {
  const [versions, runs] = await Promise.all([
    storage.registry.versions(site, 'churn'),
    storage.scoreRuns.latest(site, 'churn', 1),
  ]);
  const run = runs[0]?.summary as
    | { model_version?: number; model_shards?: unknown; metrics?: Record<string, unknown>; value?: unknown }
    | undefined;
  type Manifest = ModelManifest & { threshold?: number; value?: unknown };
  const manifests = versions.sort((a, b) => b.version - a.version).map((v) => JSON.parse(v.manifest) as Manifest);
  // The run names its model by its files' hashes (a model is published under a version of the
  // registry's, whatever its own file says); older runs by version.
  const shards = Array.isArray(run?.model_shards) ? JSON.stringify(run.model_shards) : undefined;
  const scoredBy = typeof run?.model_version === 'number' ? run.model_version : undefined;
  const model = !run
    ? manifests[0]
    : shards
      ? manifests.find((m) => JSON.stringify(m.shards.map((x) => x.sha256)) === shards)
      : manifests.find((m) => m.version === scoredBy);
  // A run whose model is not in the registry is judged by what it reported.
  const metrics = (model?.metrics as { test?: Record<string, unknown> } | undefined)?.test ?? run?.metrics ?? null;
  const version = model?.version ?? scoredBy;
  if (version === undefined) return null;
  return {
    version,
    threshold: model?.threshold ?? null,
    metrics,
    value: model?.value ?? run?.value,
    health: modelHealth('churn', metrics),
  };
}
