/**
 * @module infer/engine — the models at work on the device: recommendations from the shopper's own
 * history after the merchant's rules, and a risk score for the live session. Runs in the inference
 * worker; the same code the trainer exports for (`shared-models`), on the backend `backend.ts` chose.
 */

import { botSignals, SESSION_FEATURES_VERSION, sessionRow } from '@aisle/shared-models/features/session';
import { type AnomalyManifest, type AnomalyModel, decodeAnomaly } from '@aisle/shared-models/models/anomaly';
import {
  decodeRecommender,
  type RecommenderManifest,
  type RecommenderModel,
} from '@aisle/shared-models/models/recommender';
import { type Interaction, isItemAction, itemSteps, toInteractions } from '@aisle/shared-models/schema/interaction';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, chooseBackend, tryBackend } from './backend';
import type { ModelCache } from './cache';
import { type CatalogItem, type LoadedFiles, loadCatalog, loadModelFiles } from './models';
import type {
  BackendName,
  HistoryEvent,
  InferConfig,
  InferStatus,
  Recommendation,
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

/** Events as interchange rows, one per item, oldest first: the shared mapping, for the shopper on this device. */
export function interactionsOf(events: readonly HistoryEvent[]): Interaction[] {
  return [...events]
    .sort((a, b) => a.ts - b.ts)
    .flatMap((e) => toInteractions({ ...e, event_id: '', anonymous_id: 'me', session_id: e.session_id ?? '' }));
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
  const byId = new Map<string, CatalogItem>((catalog?.items ?? []).map((i) => [i.item_id, i]));

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

  const categoryOf = (j: number) => (recommender ? byId.get(recommender.vocabulary.ids[j])?.item_category : undefined);
  /** Per item: -Infinity where the rules leave it out, the log of its category's boost otherwise. Kept per set of rules. */
  const adjustments = new Map<string, Float32Array>();
  function adjustFor(model: RecommenderModel, rules: RecommendRules): Float32Array {
    const key = JSON.stringify([model.manifest.version, rules.inStockOnly ?? true, rules.categories, rules.boosts]);
    let adjust = adjustments.get(key);
    if (adjust) return adjust;
    const allowed = rules.categories?.length ? new Set(rules.categories) : undefined;
    adjust = new Float32Array(model.vocabulary.size);
    for (let j = 1; j < adjust.length; j++) {
      const info = byId.get(model.vocabulary.ids[j]);
      const category = info?.item_category ?? '';
      const boost = rules.boosts?.[category];
      if (byId.size && !info)
        adjust[j] = Number.NEGATIVE_INFINITY; // not (or no longer) in the catalogue
      else if ((rules.inStockOnly ?? true) && info?.in_stock === false) adjust[j] = Number.NEGATIVE_INFINITY;
      else if (allowed && !allowed.has(category)) adjust[j] = Number.NEGATIVE_INFINITY;
      else if (boost && boost > 0) adjust[j] = Math.log(boost);
    }
    if (adjustments.size >= 8) adjustments.clear();
    adjustments.set(key, adjust);
    return adjust;
  }
  /** The same, with items outside `category` left out too. */
  function inContext(model: RecommenderModel, adjust: Float32Array, category: string): Float32Array {
    const out = adjust.slice();
    for (let j = 1; j < out.length; j++)
      if (byId.get(model.vocabulary.ids[j])?.item_category !== category) out[j] = Number.NEGATIVE_INFINITY;
    return out;
  }

  async function recommendNow(history: HistoryEvent[], rules: RecommendRules): Promise<RecommendResult> {
    const started = performance.now();
    const rows = itemSteps(interactionsOf(history).filter(isItemAction));
    const purchased = new Set(rows.filter((r) => r.type === 'purchase').map((r) => r.item_id));
    const exclude = new Set(rules.exclude ?? []);
    const allowed = rules.categories?.length ? new Set(rules.categories) : undefined;
    const perCategory = new Map<string, number>();
    const items: Recommendation[] = [];
    const model = recommender;
    const history_ = model ? rows.map((r) => model.vocabulary.indexOf(r.item_id)) : [];
    const cold = !history_.some((i) => i > 0);
    const historyCategories = new Set(
      rows.map((r) => byId.get(r.item_id)?.item_category ?? r.category).filter(Boolean),
    );
    const chosen = new Set<string>();
    const take = (id: string, reason: () => string) => {
      if (items.length >= rules.k || exclude.has(id) || chosen.has(id)) return;
      const info = byId.get(id);
      if (byId.size && !info) return; // not (or no longer) in the catalogue
      if ((rules.inStockOnly ?? true) && info?.in_stock === false) return;
      if ((rules.excludePurchased ?? true) && purchased.has(id)) return;
      const category = info?.item_category ?? '';
      if (allowed && !allowed.has(category)) return;
      if (rules.perCategory && (perCategory.get(category) ?? 0) >= rules.perCategory) return;
      perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
      chosen.add(id);
      items.push({
        item_id: id,
        item_name: info?.item_name,
        item_category: info?.item_category,
        price: info?.price,
        url: info?.url,
        reason: reason(),
      });
    };
    if (model) {
      const types = rows.map((r) => r.type);
      const typeIndex = new Map(model.manifest.types.map((t, i) => [t, i]));
      const reasonFor = (j: number, id: string) => {
        if (cold)
          return rules.context && categoryOf(j) === rules.context
            ? `popular in ${rules.context}`
            : 'popular in the shop';
        const at = model.explain(history_, j);
        if (at !== undefined) {
          const because = rows[at];
          return `because you viewed ${byId.get(because.item_id)?.item_name ?? because.item_id}`;
        }
        const category = byId.get(id)?.item_category;
        return category && historyCategories.has(category) ? `more from ${category}` : 'popular with shoppers like you';
      };
      const excluded = [...((rules.excludePurchased ?? true) ? purchased : []), ...exclude].map((id) =>
        model.vocabulary.indexOf(id),
      );
      const rank = async (adjust: Float32Array, m: number) => {
        const { index, score } = await model.rankAsync(
          history_,
          types.map((t) => typeIndex.get(t) ?? 0),
          m,
          { adjust, exclude: excluded },
        );
        // Scores rounded to 1e-4: float noise between backends must not reorder items the model rates equal.
        const order = Array.from(index, (j, r) => ({ j, s: Math.round(score[r] * 1e4) / 1e4 })).sort(
          (x, y) => y.s - x.s || x.j - y.j,
        );
        for (const { j } of order) {
          if (items.length >= rules.k) break;
          const id = model.vocabulary.ids[j];
          take(id, () => reasonFor(j, id));
        }
        return index.length === m;
      };
      // The merchant's rules that hold for every item (catalogue, stock, categories, boosts) are
      // scores on the device; only the per-category cap is applied here, over the best few hundred.
      const adjust = adjustFor(model, rules);
      // Cold start on a category page: that category's popular items first.
      if (cold && rules.context) await rank(inContext(model, adjust, rules.context), 4 * rules.k);
      const m = 4 * rules.k + 200;
      if (items.length < rules.k && (await rank(adjust, m)) && items.length < rules.k) {
        await rank(adjust, model.vocabulary.size);
      }
    }
    // No model, or not enough that passes the rules: the catalogue's own order fills the rest.
    for (const info of byId.values()) {
      if (items.length >= rules.k) break;
      take(info.item_id, () => 'popular in the shop');
    }
    lastInferenceMs = performance.now() - started;
    return { items, model_version: model?.manifest.version ?? null, backend, cold, ms: lastInferenceMs };
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
