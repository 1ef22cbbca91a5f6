/**
 * @module infer/engine — the models at work on the device: recommendations from the shopper's own
 * history after the merchant's rules, and a risk score for the live session. Runs in the inference
 * worker; the same code the trainer exports for (`shared-models`), on the backend `backend.ts` chose.
 */

import { botSignals, sessionRow } from '@aisle/shared-models/features/session';
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
import { candidateSource } from './candidates';
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

/** The work calibration is timed on: the cached recommender's shape, else a 10k-item shop's. */
async function calibrationShape(cache: ModelCache | undefined) {
  const cached = (await cache?.manifest('recommender').catch(() => undefined)) as
    | { config?: { items?: number; dim?: number } }
    | undefined;
  return { items: Math.max(1000, Number(cached?.config?.items) || 10_000), dim: Number(cached?.config?.dim) || 64 };
}

/** Times every backend that starts here and remembers the fastest for the engines of later pages. */
export async function calibrateBackends(cache: ModelCache | undefined) {
  const choice = await chooseBackend(undefined, undefined, await calibrationShape(cache));
  if (choice.backend) await cache?.set(BACKEND_KEY, choice.backend).catch(() => {});
  return choice;
}

export async function createInferenceEngine(
  config: InferConfig,
  cache: ModelCache | undefined,
): Promise<InferenceEngine> {
  const problems: string[] = [];
  const trust = { key: config.key, site: config.site, bucket: config.bucket };
  const remembered = await cache?.get<BackendName>(BACKEND_KEY).catch(() => undefined);
  const shape = await calibrationShape(cache);
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const startup = { models: 0, backend: 0, decoded: 0, ready: 0 };
  const [recFiles, anomalyFiles, catalog, choice] = await Promise.all([
    Promise.all([
      loadModelFiles<RecommenderManifest>(config.endpoint, 'recommender', cache, trust),
      loadModelFiles<AnomalyManifest>(config.endpoint, 'anomaly', cache, trust),
      loadCatalog(config.endpoint, cache, trust),
    ]).finally(() => {
      startup.models = since();
    }),
    // While the models download. Nothing remembered: no calibration before the first recommendation.
    chooseBackend(config.backend, remembered, shape, { calibrate: false }).finally(() => {
      startup.backend = since();
    }),
  ]).then(([[rec, anomaly, cat], chosen]) => [rec, anomaly, cat, chosen] as const);
  for (const f of [recFiles, anomalyFiles, catalog]) if (f?.problem) problems.push(f.problem);
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
  startup.decoded = since();

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
  // A head model: the edge's candidates for the product on screen, beside the head's own items.
  const serverFor = (model: RecommenderModel | undefined) =>
    recommendationServer(
      model,
      catalog?.items ?? [],
      model && candidateSource(config.endpoint, model.manifest, cache, config.site),
    );
  let server = serverFor(recommender);
  let servedBy = recommender;

  async function recommendNow(history: HistoryEvent[], rules: RecommendRules): Promise<RecommendResult> {
    const started = performance.now();
    if (servedBy !== recommender) {
      server = serverFor(recommender);
      servedBy = recommender;
    }
    const { items, cold } = await server.recommend(history, rules);
    lastInferenceMs = performance.now() - started;
    return { items, model_version: recommender?.manifest.version ?? null, backend, cold, ms: lastInferenceMs };
  }

  async function riskNow(session: HistoryEvent[]): Promise<RiskResult> {
    const started = performance.now();
    const interactions = interactionsOf(session);
    // The session described as the model was trained to read it (its columns' version, the products
    // its shop hardly ever opens); the rules always read today's columns.
    const row = sessionRow(interactions);
    const scored =
      anomaly && Number(row.events) >= MIN_EVENTS_FOR_MODEL
        ? (await anomaly.scoreAsync([sessionRow(interactions, anomaly.manifest)]))[0]
        : undefined;
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

  // One run through each model before answering: a backend that cannot run them is left now, not on
  // the shopper's first event. No more: every run here is time before the first recommendation, and
  // the shopper's first request warms the encoder as well as any made-up history would.
  await withFallback(async () => {
    const first = recommender?.vocabulary.ids.slice(1, 3) ?? [];
    await recommendNow(
      first.map((item_id, i) => ({ type: 'view_item', ts: Date.now() + i, items: [{ item_id }] })),
      { k: 10 },
    );
    // Seven events, so the anomaly network runs too.
    await riskNow(Array.from({ length: 7 }, (_, i) => ({ type: 'page_view', ts: Date.now() + i * 1000 })));
  });
  startup.ready = since();

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
                ...(recommender.manifest.head
                  ? { head: { items: recommender.vocabulary.size - 1, of: recommender.manifest.head.of - 1 } }
                  : {}),
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
      startup,
      problems: [...problems],
    }),
    recommend: (history, rules) => withFallback(() => recommendNow(history, rules)),
    risk: (session) => withFallback(() => riskNow(session)),
  };
}

export { tf };
