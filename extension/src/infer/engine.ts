/**
 * @module infer/engine — the models at work on the device: recommendations from the shopper's own
 * history after the merchant's rules, and a risk score for the live session. Runs in the inference
 * worker; the same code the trainer exports for (`shared-models`), on the backend `backend.ts` chose.
 */

import { botSignals, SESSION_FEATURES_VERSION, sessionRow } from '@aisle/shared-models/features/session';
import { type AnomalyManifest, type AnomalyModel, decodeAnomaly } from '@aisle/shared-models/models/anomaly';
import {
  decodeRecommender,
  interactionsOf,
  type RecommenderManifest,
  type RecommenderModel,
  recommendationServer,
} from '@aisle/shared-models/models/recommender';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, chooseBackend, tryBackend } from './backend';
import type { ModelCache } from './cache';
import { type LoadedFiles, loadCatalog, loadModelFiles } from './models';
import type {
  BackendName,
  HistoryEvent,
  InferConfig,
  InferStatus,
  RecommendResult,
  RecommendRules,
  RiskResult,
} from './protocol';

/** How much each deterministic signal alone says a session is no person (0–1). */
const SIGNAL_WEIGHT: Record<string, number> = {
  'impossible pace': 0.99,
  'machine-steady timing': 0.95,
  'repeated payment failures': 0.99,
  'automation (navigator.webdriver)': 0.5,
};

const BACKEND_KEY = 'backend';
/** A session says too little to be unusual before this many events: until then only the deterministic signals count. */
export const MIN_EVENTS_FOR_MODEL = 6;

export interface InferenceEngine {
  status(): InferStatus;
  recommend(history: HistoryEvent[], rules: RecommendRules): Promise<RecommendResult>;
  risk(session: HistoryEvent[]): Promise<RiskResult>;
}

export async function createInferenceEngine(
  config: InferConfig,
  cache: ModelCache | undefined,
): Promise<InferenceEngine> {
  const problems: string[] = [];
  const trust = { key: config.key, site: config.site, bucket: config.bucket };
  const [recFiles, anomalyFiles, catalog] = await Promise.all([
    loadModelFiles<RecommenderManifest>(config.endpoint, 'recommender', cache, trust),
    loadModelFiles<AnomalyManifest>(config.endpoint, 'anomaly', cache, trust),
    loadCatalog(config.endpoint, cache, trust),
  ]);
  for (const f of [recFiles, anomalyFiles, catalog]) if (f?.problem) problems.push(f.problem);

  const remembered = await cache?.get<BackendName>(BACKEND_KEY);
  const shape = {
    items: Math.max(1000, recFiles?.manifest.config.items ?? 1000),
    dim: recFiles?.manifest.config.dim ?? 64,
  };
  const choice = await chooseBackend(config.backend, remembered, shape);
  if (choice.how === 'calibrated' && choice.backend) await cache?.set(BACKEND_KEY, choice.backend).catch(() => {});
  let backend = choice.backend;

  let recommender: RecommenderModel | undefined;
  let anomaly: AnomalyModel | undefined;
  async function build(files: { rec?: LoadedFiles<RecommenderManifest>; anomaly?: LoadedFiles<AnomalyManifest> }) {
    recommender?.dispose();
    anomaly?.dispose();
    recommender = undefined;
    anomaly = undefined;
    try {
      // Verified already (signature, site, version, every shard) by `loadModelFiles`: decoded, not loaded twice.
      if (files.rec) recommender = await decodeRecommender(files.rec.files, files.rec.manifest);
    } catch (error) {
      problems.push(`recommender: ${(error as Error).message}`);
    }
    try {
      if (files.anomaly) anomaly = await decodeAnomaly(files.anomaly.files, files.anomaly.manifest);
    } catch (error) {
      problems.push(`anomaly: ${(error as Error).message}`);
    }
  }
  await build({ rec: recFiles, anomaly: anomalyFiles });

  /** A backend failed mid-session: move to the next one that starts and rebuild the models there. */
  async function fallBack(error: unknown): Promise<boolean> {
    problems.push(`${backend}: ${(error as Error).message ?? error}`);
    const rest = BACKENDS.slice(backend ? BACKENDS.indexOf(backend) + 1 : 0);
    for (const next of rest) {
      if (await tryBackend(next)) {
        backend = next;
        await build({ rec: recFiles, anomaly: anomalyFiles });
        return true;
      }
    }
    backend = null;
    return false;
  }
  async function withFallback<T>(run: () => T | Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(await fallBack(error))) throw error;
      return run();
    }
  }

  let lastInferenceMs: number | undefined;
  // The ranking, rules, context and reasons: the code the dashboard's preview runs too. Rebuilt with the model.
  let server = recommendationServer(recommender, catalog?.items ?? []);
  let servedBy = recommender;

  async function recommendNow(history: HistoryEvent[], rules: RecommendRules): Promise<RecommendResult> {
    const started = performance.now();
    if (servedBy !== recommender) {
      server = recommendationServer(recommender, catalog?.items ?? []);
      servedBy = recommender;
    }
    const { items, cold } = await server.recommend(history, rules);
    lastInferenceMs = performance.now() - started;
    return { items, model_version: recommender?.manifest.version ?? null, backend, cold, ms: lastInferenceMs };
  }

  async function riskNow(session: HistoryEvent[]): Promise<RiskResult> {
    const started = performance.now();
    const interactions = interactionsOf(session);
    // The session described as the model was trained to read it; the rules always read today's columns.
    const row = sessionRow(interactions);
    const modelRow =
      !anomaly || anomaly.manifest.session_features === SESSION_FEATURES_VERSION
        ? row
        : sessionRow(interactions, anomaly.manifest);
    const scored =
      Number(row.events) >= MIN_EVENTS_FOR_MODEL ? (await anomaly?.scoreAsync([modelRow]))?.[0] : undefined;
    const signals = botSignals(row);
    if (config.webdriver) signals.push('automation (navigator.webdriver)');
    const score =
      1 - (1 - (scored?.score ?? 0)) * signals.reduce((keep, s) => keep * (1 - (SIGNAL_WEIGHT[s] ?? 0.5)), 1);
    const threshold = config.riskThreshold ?? anomaly?.manifest.flag_at ?? 0.99;
    lastInferenceMs = performance.now() - started;
    return {
      score: Math.round(score * 10_000) / 10_000,
      flagged: score >= threshold,
      threshold,
      reasons: [
        ...signals.map((s) => ({ feature: s, value: '' })),
        ...(scored?.reasons ?? []).map(({ feature, value }) => ({ feature, value })),
      ],
      model_version: anomaly?.manifest.version ?? null,
      ms: lastInferenceMs,
    };
  }

  // Warm up: the first real request should not pay for shader compilation and allocation.
  await withFallback(async () => {
    await recommendNow([], { k: 10 });
    // And with a full window of history: the encoder's weights are read into the worker, and its
    // loops run often enough to be compiled, before the shopper's first event.
    const window = recommender?.vocabulary.ids.slice(1, 1 + recommender.manifest.config.maxLen) ?? [];
    const history = window.map((item_id, i) => ({ type: 'view_item', ts: Date.now() + i, items: [{ item_id }] }));
    for (let i = 0; history.length && i < 8; i++) await recommendNow(history, { k: 10 });
    // Seven events, so the anomaly network runs too.
    await riskNow(Array.from({ length: 7 }, (_, i) => ({ type: 'page_view', ts: Date.now() + i * 1000 })));
  });

  return {
    status: () => ({
      backend,
      backendChoice: { how: choice.how, timings: choice.timings, unavailable: choice.unavailable },
      models: {
        ...(recommender && recFiles
          ? {
              recommender: {
                version: recommender.manifest.version,
                loadedFrom: recFiles.loadedFrom,
                ...(recFiles.signedBy ? { signedBy: recFiles.signedBy } : {}),
              },
            }
          : {}),
        ...(anomaly && anomalyFiles
          ? {
              anomaly: {
                version: anomaly.manifest.version,
                loadedFrom: anomalyFiles.loadedFrom,
                ...(anomalyFiles.signedBy ? { signedBy: anomalyFiles.signedBy } : {}),
              },
            }
          : {}),
      },
      catalog: catalog ? { items: catalog.items.length, loadedFrom: catalog.loadedFrom } : undefined,
      lastInferenceMs,
      problems: [...problems],
    }),
    recommend: (history, rules) => withFallback(() => recommendNow(history, rules)),
    risk: (session) => withFallback(() => riskNow(session)),
  };
}

export { tf };
