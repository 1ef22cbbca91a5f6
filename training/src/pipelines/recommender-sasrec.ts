/**
 * @module training/pipelines/recommender-sasrec — trains the recommender on a leave-last-out split:
 * SASRec on the training histories (every transition a target, full softmax on small catalogues,
 * sampled beyond), the epoch kept that scores best on the validation items, then its blend with
 * item-kNN chosen on validation, and everything judged once on the test items next to the baselines.
 */

import { createVocabulary } from '@aisle/shared-models/features/vocabulary';
import { itemCounts, similarityTable } from '@aisle/shared-models/models/baselines';
import { MANIFEST_VERSION } from '@aisle/shared-models/models/manifest';
import type { QuantDtype, QuantPin } from '@aisle/shared-models/models/quantize';
import {
  type ContentTable,
  createRecommenderModel,
  DEFAULT_SASREC,
  type NeighbourTable,
  padWindow,
  priceBand,
  priceBandEdges,
  type RecommenderManifest,
  type RecommenderModel,
  type SasRecConfig,
} from '@aisle/shared-models/models/recommender';
import { archDefaults } from '@aisle/shared-models/models/recommender/encoder';
import { networkName } from '@aisle/shared-models/models/recommender/networks';
import {
  historyLoss,
  initLightGcn,
  initWeights,
  sequenceLoss,
} from '@aisle/shared-models/models/recommender/sasrec-train';
import { random, shuffleInPlace } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import type { LeaveLastOut } from '../data/sequences';
import { evaluateRanking, type RankingMetrics } from '../eval/ranking';
import { type BaselineResult, evaluateBaselines, fairBaselines } from './recommender-baselines';
import { chooseQuantization } from './recommender-quantize';
import { keepNeighbours, startFrom, type WarmStart } from './recommender-warm';

export interface RecommenderTrainOptions {
  epochs?: number;
  seed?: number;
  /** Validation every this many epochs (and after the last); the best epoch's weights are kept. */
  evalEvery?: number;
  config?: Partial<Omit<SasRecConfig, 'items' | 'types'>>;
  version?: number;
  /** Stop starting epochs once training has taken this long (seconds; the best epoch so far is kept). */
  timeBudget?: number;
  /** The whole budget `timeBudget` is a share of (several networks trained in turn), to say so. */
  budgetOf?: number;
  /**
   * Write tensors in fewer bits where validation says it costs under `maxLoss` of NDCG@10
   * (relative; default 1 %); `false` keeps every weight float32.
   */
  quantize?: boolean | { maxLoss: number };
  onEpoch?: (done: number, total: number, line: string) => void;
  /** Start from this model, moving only the rows of items it names as moved (`./recommender-warm`). */
  warmStart?: WarmStart;
  /** The time of the latest event trained on (ms), recorded as `metrics.data_until` for the next warm start. */
  dataUntil?: number;
}

export interface RecommenderTrainResult {
  model: RecommenderModel;
  /** SASRec's weights by name, as the model uses them. */
  weights: Record<string, tf.Tensor>;
  manifest: Omit<RecommenderManifest, 'shards'>;
  neighbours: NeighbourTable;
  popularity: Float32Array;
  content: ContentTable;
  /** Test metrics: the recommender (as shipped, quantised where chosen), its network alone (`sasrec alone`, `srgnn alone`), and the baselines. */
  results: { model: string; settings: string; valid: RankingMetrics; test: RankingMetrics }[];
  epochSeconds: number[];
  /** The tensors written in fewer bits, by name (the manifest's `metrics.quantization` says what that cost and saved). */
  quantization?: Record<string, QuantDtype>;
  /** The earlier version's levels, kept where they still hold (a warm start's). */
  pins?: Record<string, QuantPin>;
}

/** Catalogues up to this size train with the full softmax; larger ones sample this many negatives. */
const FULL_SOFTMAX_UP_TO = 4096;
const NEGATIVES = 512;
const BATCH = 128;
/**
 * LightGCN's batches and learning rate: each step propagates over the whole graph, so fewer, larger
 * steps, each a larger move (at SASRec's 0.001 it had not reached half item-kNN's validation NDCG@10
 * after six epochs on MovieLens sessions; 0.01 and 0.05 both passed it by the tenth, 0.05 the higher).
 */
const GRAPH_BATCH = 1024;
const GRAPH_RATE = 0.05;
const KNN_WIDTH = 100;
/** Narrower neighbour tables tried, narrowest first (20: what a head's edge candidates carry). */
const NARROWER = [20, 50];
const BLENDS = [0, 0.25, 0.5, 0.6, 0.75, 0.9, 1];
const CONTENT_WEIGHTS = [0.1, 0.25, 0.5, 1];
const CONTENT_DECAY = 0.8;
const REPEAT_WEIGHTS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];
/**
 * How the repeat boost weighs the history's own items: below 1 the latest most (a shopper back for
 * what they just looked at); 1 counts how often each came up, whenever (a shop of repeat buyers,
 * whose orders of twenty lines would push an item bought every month out of a decaying window).
 */
const REPEAT_DECAYS = [0.5, 0.9, 1];
/** An item with this many training events is half as "cold" as an unseen one. */
const COLD_EVENTS = 5;
/** Default time budget: 8 of the 10 minutes the issue allows, leaving room for the rest of the run. */
const TIME_BUDGET = 480;

export async function trainRecommender(
  split: LeaveLastOut,
  options: RecommenderTrainOptions = {},
): Promise<RecommenderTrainResult> {
  const { epochs = 20, seed = 42, evalEvery = 5, timeBudget = TIME_BUDGET } = options;
  const arch = options.config?.arch ?? 'sasrec';
  const config: SasRecConfig = {
    ...DEFAULT_SASREC,
    blocks: 1,
    ...archDefaults(arch),
    ...options.config,
    items: split.vocabulary.size,
    types: split.types.size,
  };
  const rnd = random(seed);
  const windows = trainingWindows(split, config);
  const popularity = itemCounts(split.train, config.items);
  const { content, contentSettings } = contentTable(split);
  const knnSettings = { neighbours: KNN_WIDTH, decay: 0.6 };
  const table = similarityTable(split.train, config.items);
  const warm = options.warmStart;
  // A warm start keeps the earlier table's width, so that the rows of items that did not move stay as they were.
  const earlierWidth = warm ? (warm.tensors.knn_items?.length ?? 0) / warm.manifest.items.length : 0;
  let neighbours = toNeighbourTable(
    table,
    Number.isInteger(earlierWidth) && earlierWidth > 0 ? earlierWidth : KNN_WIDTH,
  );
  const baselines = evaluateBaselines(split);
  const knnTuned = baselines.find((b) => b.model === 'item-knn') as BaselineResult;
  knnSettings.decay = Number(/decay ([\d.]+)/.exec(knnTuned.settings)?.[1] ?? 0.6);

  // LightGCN learns base embeddings and ships what they propagate to over the training graph. A warm
  // start cannot propagate (every row would move): it fine-tunes the shipped rows of the items that
  // moved, as SASRec's warm start does.
  const graph = arch === 'lightgcn' && !warm ? initLightGcn(config, split.train, seed) : undefined;
  const weights = graph?.weights ?? initWeights(config, seed);
  const movable = warm ? startFrom(weights, warm, config, split.vocabulary.ids) : undefined;
  if (warm && movable) keepNeighbours(neighbours, warm, movable.dataSync() as Float32Array);
  // Dropout masks from their own seeded stream, so that batching and sampling draw what they drew before.
  const masks = random(seed + 1);
  const dropoutSeeds = () => Math.floor(masks() * 2 ** 31);
  const optimizer = tf.train.adam(graph ? GRAPH_RATE : 0.001);
  const manifestFor = (blend: number): Omit<RecommenderManifest, 'shards'> => ({
    manifest_version: MANIFEST_VERSION,
    name: 'recommender',
    version: options.version ?? 1,
    feature_schema_version: 1,
    created_at: new Date().toISOString(),
    config,
    items: [...split.vocabulary.ids],
    types: [...split.types.ids],
    blend,
    knn: knnSettings,
    content: { ...contentSettings, weight: 0 },
    repeat: null,
    metrics: {},
  });
  const sasrecOnly = createRecommenderModel(weights, manifestFor(1) as RecommenderManifest, neighbours, popularity);
  let best: { ndcg: number; epoch: number; snapshot: tf.Tensor[] } | undefined;
  const epochSeconds: number[] = [];
  const names = Object.keys(weights);
  let ran = 0;
  let cut: string | undefined;
  const budgetWords = () =>
    options.budgetOf
      ? `its ${Math.round(timeBudget * 10) / 10} s share of the ${options.budgetOf} s time budget`
      : `the ${timeBudget} s time budget`;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const spent = epochSeconds.reduce((x, y) => x + y, 0);
      // Another epoch would overrun the budget: stop, and judge where training got to.
      if (epoch > 1 && spent + (epochSeconds.at(-1) ?? 0) > timeBudget) {
        options.onEpoch?.(epochs, epochs, `stopped after ${epoch - 1} epochs: ${budgetWords()}`);
        if ((epoch - 1) % evalEvery !== 0) {
          graph?.refresh();
          const { ndcg } = evaluateRanking(sasrecOnly, split.valid);
          if (!best || ndcg > best.ndcg) {
            tf.dispose(best?.snapshot);
            best = { ndcg, epoch: epoch - 1, snapshot: names.map((n) => weights[n].clone()) };
          }
        }
        break;
      }
      ran = epoch;
      const started = performance.now();
      const order = shuffleInPlace(
        Array.from({ length: windows.length / 3 }, (_, i) => i),
        rnd,
      );
      let loss = 0;
      let batches = 0;
      const size = graph ? GRAPH_BATCH : BATCH;
      for (let b = 0; b < order.length; b += size) {
        const batch = order.slice(b, b + size).map((k) => windowAt(split, windows, k));
        const negatives =
          config.items - 1 > FULL_SOFTMAX_UP_TO
            ? Array.from({ length: NEGATIVES }, () => 1 + Math.floor(rnd() * (config.items - 1)))
            : undefined;
        const negs = negatives ? tf.tensor1d(negatives, 'int32') : undefined;
        // The batch's tensors, disposed after its step.
        const owned: tf.Tensor[] = negs ? [negs] : [];
        let f: () => tf.Scalar;
        if (config.arch === 'srgnn' || config.arch === 'lightgcn') {
          // One history per window: its items but the last, which is the target.
          const targets = tf.tensor1d(
            batch.map((w) => w.items[w.items.length - 1]),
            'int32',
          );
          owned.push(targets);
          const histories = batch.map((w) => w.items.slice(0, -1));
          const kinds = batch.map((w) => w.types.slice(0, -1));
          f = () => historyLoss(graph?.propagated() ?? weights, config, histories, kinds, targets, negs, dropoutSeeds);
        } else {
          const shape: [number, number] = [batch.length, config.maxLen];
          const inputs = tf.tensor2d(
            batch.map((w) => padWindow(w.items.slice(0, -1), config.maxLen)),
            shape,
            'int32',
          );
          const types = tf.tensor2d(
            batch.map((w) => padWindow(w.types.slice(0, -1), config.maxLen)),
            shape,
            'int32',
          );
          const targets = tf.tensor2d(
            batch.map((w) => padWindow(w.items.slice(1), config.maxLen)),
            shape,
            'int32',
          );
          owned.push(inputs, types, targets);
          f = () => sequenceLoss(weights, config, inputs, types, targets, negs, dropoutSeeds);
        }
        let l: tf.Scalar;
        if (!movable) l = optimizer.minimize(f, true) as tf.Scalar;
        else {
          // Rows that must not move get no gradient (and a fresh Adam moves nothing without one).
          const { value, grads } = tf.variableGrads(f);
          const key = weights.item_embedding.name;
          const masked = grads[key].mul(movable);
          optimizer.applyGradients({ ...grads, [key]: masked } as unknown as Parameters<
            typeof optimizer.applyGradients
          >[0]);
          tf.dispose([...Object.values(grads), masked]);
          l = value;
        }
        const value = l.dataSync()[0];
        tf.dispose([l, ...owned]);
        loss += value;
        batches++;
        // An epoch longer than what is left of the budget (a big log's first, or one slower than the
        // last): it stops here, and what it learnt so far is judged like a whole epoch's.
        if (spent + (performance.now() - started) / 1000 > timeBudget && b + size < order.length) {
          cut = `stopped ${Math.round((100 * (b + size)) / order.length)} % into epoch ${epoch}: ${budgetWords()}`;
          break;
        }
      }
      epochSeconds.push((performance.now() - started) / 1000);
      let line = `epoch ${epoch}: loss ${(loss / batches).toFixed(3)}, ${epochSeconds.at(-1)?.toFixed(1)} s`;
      if (epoch % evalEvery === 0 || epoch === epochs || cut) {
        graph?.refresh();
        const { ndcg } = evaluateRanking(sasrecOnly, split.valid);
        line += `, validation NDCG@10 ${ndcg.toFixed(4)}`;
        if (!best || ndcg > best.ndcg) {
          tf.dispose(best?.snapshot);
          best = { ndcg, epoch, snapshot: names.map((n) => weights[n].clone()) };
        }
      }
      options.onEpoch?.(epoch, epochs, line);
      if (cut) {
        options.onEpoch?.(epochs, epochs, cut);
        break;
      }
    }
  } finally {
    optimizer.dispose();
    movable?.dispose();
    graph?.dispose();
  }
  // Back to the best epoch's weights.
  if (best) {
    for (const [i, n] of names.entries()) weights[n].assign(best.snapshot[i]);
    tf.dispose(best.snapshot);
  }
  const sasrecResult = judged(sasrecOnly, `epoch ${best?.epoch ?? ran} of ${ran}`, split);
  let chosen = { blend: 1, ndcg: sasrecResult.valid.ndcg };
  for (const blend of BLENDS) {
    const candidate = createRecommenderModel(
      weights,
      manifestFor(blend) as RecommenderManifest,
      neighbours,
      popularity,
    );
    const { ndcg } = evaluateRanking(candidate, split.valid);
    if (ndcg > chosen.ndcg) chosen = { blend, ndcg };
  }
  const manifest = manifestFor(chosen.blend);
  const candidate = (change: Partial<RecommenderManifest>) =>
    createRecommenderModel(weights, { ...manifest, ...change } as RecommenderManifest, neighbours, popularity, content);
  // The content signal, where the items have categories or prices: its weight chosen on validation.
  if (contentSettings.categories.length > 1 || contentSettings.band_edges.length) {
    let bestContent = { weight: 0, ndcg: chosen.ndcg };
    for (const weight of CONTENT_WEIGHTS) {
      const { ndcg } = evaluateRanking(candidate({ content: { ...contentSettings, weight } }), split.valid);
      if (ndcg > bestContent.ndcg) bestContent = { weight, ndcg };
    }
    manifest.content = { ...contentSettings, weight: bestContent.weight };
    chosen.ndcg = bestContent.ndcg;
  }
  // Shops whose shoppers come back to what they looked at: let the history's own items compete.
  const repeatRate = split.valid.filter((c) => c.history.includes(c.target)).length / (split.valid.length || 1);
  if (repeatRate > 0) {
    let bestRepeat: { repeat: RecommenderManifest['repeat']; ndcg: number } = { repeat: null, ndcg: chosen.ndcg };
    for (const weight of REPEAT_WEIGHTS) {
      for (const decay of REPEAT_DECAYS) {
        const repeat = { weight, decay };
        const { ndcg } = evaluateRanking(candidate({ repeat }), split.valid, { excludeSeen: false });
        if (ndcg > bestRepeat.ndcg) bestRepeat = { repeat, ndcg };
      }
    }
    manifest.repeat = bestRepeat.repeat;
  }
  const excludeSeen = !manifest.repeat;
  const maxLoss = typeof options.quantize === 'object' ? options.quantize.maxLoss : 0.01;
  // The neighbour table as narrow as validation allows, with half the loss allowance (quantisation
  // has the rest, measured from the same reference): it is most of a big catalogue's bytes.
  const reference = evaluateRanking(candidate({}), split.valid, { excludeSeen }).ndcg;
  // Reported only (what the full-width float32 model scores on the test items), never chosen on.
  const referenceTest = evaluateRanking(candidate({}), split.test, { excludeSeen }).ndcg;
  const widths: { width: number; valid_ndcg: number; kept: boolean }[] = [];
  if (!warm && options.quantize !== false) {
    for (const width of NARROWER) {
      if (width >= neighbours.width) break;
      const narrow = narrowTable(neighbours, width);
      const ndcg = evaluateRanking(
        createRecommenderModel(weights, manifest as RecommenderManifest, narrow, popularity, content),
        split.valid,
        { excludeSeen },
      ).ndcg;
      const kept = ndcg >= reference * (1 - maxLoss / 2);
      widths.push({ width, valid_ndcg: ndcg, kept });
      if (kept) {
        neighbours = narrow;
        break;
      }
    }
  }
  manifest.knn = { ...manifest.knn, neighbours: neighbours.width };
  const model = createRecommenderModel(weights, manifest as RecommenderManifest, neighbours, popularity, content);
  const settings = blendSettings(manifest);
  const floatResult = judged(model, settings, split, 'recommender', excludeSeen);
  // What ships: the tensors that lose (next to) nothing in fewer bits, judged as the device decodes them.
  const quantized =
    options.quantize === false
      ? undefined
      : chooseQuantization({ weights, manifest, neighbours, popularity, content }, split, {
          excludeSeen,
          maxLoss,
          reference,
          pins: warm?.pins,
        });
  const shipped = quantized?.model ?? model;
  const modelResult = quantized ? judged(shipped, settings, split, 'recommender', excludeSeen) : floatResult;
  // Judged as the model is: where it may repeat items, each baseline gets the better of both ways.
  const results = [
    modelResult,
    {
      ...(excludeSeen ? sasrecResult : judged(sasrecOnly, sasrecResult.settings, split, 'sasrec', false)),
      model: `${config.arch ?? 'sasrec'} alone`,
    },
    ...fairBaselines(split, 10, excludeSeen, baselines),
  ];
  manifest.metrics = {
    ndcg_at_10: modelResult.test.ndcg,
    hit_rate_at_10: modelResult.test.hitRate,
    compared: Object.fromEntries(results.map((r) => [r.model, { valid: r.valid.ndcg, test: r.test.ndcg }])),
    split: `leave-last-out, full ranking, ${excludeSeen ? 'seen items excluded' : 'seen items ranked too'}`,
    validation_repeat_rate: repeatRate,
    epochs_run: ran,
    neighbour_width: {
      chosen: neighbours.width,
      valid_ndcg_full_width: reference,
      test_ndcg_full_width_float32: referenceTest,
      tried: widths,
    },
    ...(options.dataUntil !== undefined ? { data_until: options.dataUntil } : {}),
    ...(warm ? { warm_start: { from_version: warm.manifest.version, moved_items: warm.moved?.size ?? null } } : {}),
    ...(quantized
      ? {
          quantization: {
            tensors: quantized.report.tensors,
            bytes: quantized.report.bytes,
            bytes_float32: quantized.report.bytes_float32,
            valid_ndcg_float32: quantized.report.valid_ndcg_float32,
            valid_ndcg: quantized.report.valid_ndcg,
            test_ndcg_float32: floatResult.test.ndcg,
            test_ndcg: modelResult.test.ndcg,
          },
        }
      : {}),
  };
  return {
    model: shipped,
    weights,
    manifest,
    neighbours,
    popularity,
    content,
    results,
    epochSeconds,
    quantization: quantized?.report.tensors,
    pins: warm?.pins,
  };
}

/**
 * What one epoch trains on. SASRec: every transition of every training history a target once,
 * long histories cut into windows of up to maxLen inputs (a window's every position predicts its
 * next). SR-GNN: one graph per target, so a window per transition — the item and the up to maxLen
 * before it. LightGCN: the same, its window a bag of distinct items. Each window as a triple
 * (shopper, from, end) into the split's histories, sliced when its batch needs it: one window per
 * transition would otherwise hold up to maxLen + 1 copies of every event.
 */
function trainingWindows(split: LeaveLastOut, config: SasRecConfig): Int32Array {
  const windows: number[] = [];
  split.train.forEach((s, u) => {
    if (config.arch === 'srgnn' || config.arch === 'lightgcn') {
      for (let end = 2; end <= s.length; end++) windows.push(u, Math.max(0, end - config.maxLen - 1), end);
      return;
    }
    for (let end = s.length; end > 1; end -= config.maxLen) windows.push(u, Math.max(0, end - config.maxLen - 1), end);
  });
  return Int32Array.from(windows);
}

/** Window `k` of `trainingWindows`' triples (shopper, from, end): its items and types, sliced when its batch needs them. */
function windowAt(split: LeaveLastOut, windows: Int32Array, k: number): { items: number[]; types: number[] } {
  const [u, from, end] = windows.subarray(3 * k, 3 * k + 3);
  return { items: split.train[u].slice(from, end), types: split.trainTypes[u].slice(from, end) };
}

/** The blend a model ships, in words: its network's weight against item-kNN, content, repeats. */
export function blendSettings(m: Pick<RecommenderManifest, 'config' | 'blend' | 'content' | 'repeat'>): string {
  return [
    `${networkName(m.config.arch)} weight ${m.blend} against item-kNN`,
    m.content?.weight ? `content ${m.content.weight}` : '',
    m.repeat ? `repeats ${m.repeat.weight} (decay ${m.repeat.decay})` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

function judged(model: RecommenderModel, settings: string, split: LeaveLastOut, name = model.name, excludeSeen = true) {
  return {
    model: name,
    settings,
    valid: evaluateRanking(model, split.valid, { excludeSeen }),
    test: evaluateRanking(model, split.test, { excludeSeen }),
  };
}

/** Each item's category, price band and coldness, from the split's item metadata and training counts. */
function contentTable(split: LeaveLastOut): {
  content: ContentTable;
  contentSettings: { decay: number; categories: string[]; band_edges: number[] };
} {
  const size = split.vocabulary.size;
  const categories = createVocabulary(split.itemCategories.filter(Boolean));
  const bandEdges = priceBandEdges(split.itemPrices);
  const counts = new Float32Array(size);
  for (const s of split.train) for (const i of s) counts[i]++;
  const content: ContentTable = {
    category: Int32Array.from(split.itemCategories, (c) => (c ? categories.indexOf(c) : 0)),
    band: Int32Array.from(split.itemPrices, (p) => priceBand(p, bandEdges)),
    coldness: Float32Array.from(counts, (n) => COLD_EVENTS / (COLD_EVENTS + n)),
  };
  return {
    content,
    contentSettings: { decay: CONTENT_DECAY, categories: [...categories.ids], band_edges: bandEdges },
  };
}

/** Each row's first `width` neighbours of a wider table. */
function narrowTable(table: NeighbourTable, width: number): NeighbourTable {
  const items = new Int32Array((table.items.length / table.width) * width);
  const similarity = new Float32Array(items.length);
  for (let i = 0; i < items.length / width; i++) {
    items.set(table.items.subarray(i * table.width, i * table.width + width), i * width);
    similarity.set(table.similarity.subarray(i * table.width, i * table.width + width), i * width);
  }
  return { items, similarity, width };
}

/** The first `width` neighbours of every item, flat, 0-padded. */
export function toNeighbourTable(
  table: { items: Int32Array; similarity: Float32Array }[],
  width: number,
): NeighbourTable {
  const items = new Int32Array(table.length * width);
  const similarity = new Float32Array(table.length * width);
  table.forEach((row, i) => {
    const n = Math.min(width, row.items.length);
    items.set(row.items.subarray(0, n), i * width);
    similarity.set(row.similarity.subarray(0, n), i * width);
  });
  return { items, similarity, width };
}
