/**
 * @module training/pipelines/recommender-head — a trained recommender cut for a big catalogue: the
 * head (the most viewed items) for devices, the whole model's rows and neighbours as the edge's
 * candidate table (`candidates.bin`, Merkle root in the signed manifest), and what the cut costs,
 * judged on the test split as a device ranks: the whole model, the head alone, and the head with
 * the edge's candidates for the product on screen (the history's last item).
 */

import { type QuantPin, quantize } from '@aisle/shared-models/models/quantize';
import {
  CANDIDATES_FILE,
  type CandidateTable,
  candidatesOf,
  candidateTable,
  cutHead,
  decodeRecommender,
  encodeCandidates,
  encodeRecommender,
  extraItems,
  headIndexes,
  merkleLevels,
  merkleRoot,
  RECENT_CANDIDATES,
  type RecommenderManifest,
  type RecommenderModel,
  type SasRecWeights,
} from '@aisle/shared-models/models/recommender';
import type { Tensor2D } from '@tensorflow/tfjs';
import type { NextItemCase } from '../data/sequences';
import type { RecommenderTrainResult } from './recommender-sasrec';

/** Catalogues past this many items ship a head of this many (`aisle train recommender --head`). */
export const DEFAULT_HEAD = 20_000;
/** Neighbours per item in the candidate table: what the edge answers for a product. */
export const CANDIDATE_WIDTH = 20;

export interface HeadQuality {
  /** NDCG@10 and HR@10 over the test cases, each ranked as the device ranks (`rankAsync`, top 10). */
  full: { ndcg: number; hitRate: number };
  head: { ndcg: number; hitRate: number };
  candidates: { ndcg: number; hitRate: number };
  cases: number;
}

export interface HeadCut {
  /** The head as a trained recommender: what `saveRecommender` writes, with `candidates.bin` beside it. */
  trained: RecommenderTrainResult;
  candidates: Uint8Array;
  table: CandidateTable;
  /** Share of the training interactions whose item is in the head. */
  coverage: number;
}

/**
 * Cuts `trained` to a head of `items` (the unknown bucket included), its candidate table `width`
 * wide. The head's rows are written in the whole model's levels (each quantised tensor's scale and
 * minimum), so a head row decodes to what the whole model's does, and a warm-started retrain, which
 * keeps the whole model's levels, keeps the head's too (its unmoved rows' bytes with them).
 */
export async function cutRecommender(
  trained: RecommenderTrainResult,
  train: readonly (readonly number[])[],
  items: number,
  width = CANDIDATE_WIDTH,
): Promise<HeadCut> {
  const full = trained.manifest;
  const keep = headIndexes(trained.popularity, items);
  const cut = cutHead(keep, {
    items: full.items,
    weights: trained.weights as unknown as SasRecWeights,
    neighbours: trained.neighbours,
    popularity: trained.popularity,
    content: trained.content,
  });
  const table = await candidateTable(full.items, trained.weights.item_embedding as Tensor2D, trained.neighbours, width);
  const root = merkleRoot(await merkleLevels(table));
  const manifest: Omit<RecommenderManifest, 'shards'> = {
    ...full,
    config: { ...full.config, items: keep.length },
    items: cut.items,
    head: { of: full.items.length, shard: CANDIDATES_FILE, root, width: table.width },
  };
  const kept = new Set(keep);
  let inHead = 0;
  let all = 0;
  for (const s of train)
    for (const i of s) {
      all++;
      if (kept.has(i)) inHead++;
    }
  // The head as devices decode it: in the bits and levels the whole model was written in.
  const pins = wholeLevels(trained);
  const model = await decodeRecommender(
    await encodeRecommender({ ...cut, manifest, quantization: trained.quantization, pins }),
    manifest as RecommenderManifest,
  );
  return {
    trained: {
      ...trained,
      model,
      weights: cut.weights as unknown as RecommenderTrainResult['weights'],
      manifest,
      neighbours: cut.neighbours,
      popularity: cut.popularity,
      content: cut.content,
      pins,
    },
    candidates: encodeCandidates(table),
    table,
    coverage: all ? inHead / all : 0,
  };
}

/** The levels each of the whole model's quantised float tensors is written in, by name. */
function wholeLevels(trained: RecommenderTrainResult): Record<string, QuantPin> {
  const floats: Record<string, ArrayLike<number> | undefined> = {
    knn_similarity: trained.neighbours.similarity,
    item_coldness: trained.content.coldness,
    popularity: trained.popularity,
  };
  const levels: Record<string, QuantPin> = {};
  for (const [name, dtype] of Object.entries(trained.quantization ?? {})) {
    const values = trained.weights[name]?.dataSync() ?? floats[name];
    if (!values) continue; // an integer table: written exactly, whatever its levels
    const { min, scale } = quantize(values, dtype, false, trained.pins?.[name]);
    levels[name] = { dtype, min, scale };
  }
  return levels;
}

/**
 * The whole model, the head alone and the head with the candidates for each case's last item, on
 * `cases` (the whole model's indexes), ranked top 10 exactly as the device ranks.
 */
export async function judgeHead(
  full: RecommenderModel,
  head: RecommenderModel,
  table: CandidateTable,
  cases: readonly NextItemCase[],
): Promise<HeadQuality> {
  const headIds = new Set(head.vocabulary.ids.slice(1));
  const repeats = (full.manifest.repeat?.weight ?? 0) > 0;
  const sums = { full: [0, 0], head: [0, 0], candidates: [0, 0] };
  const score = (into: number[], top: readonly string[], target: string) => {
    const at = top.indexOf(target);
    if (at < 0) return;
    into[0] += 1 / Math.log2(at + 2);
    into[1]++;
  };
  for (const c of cases) {
    const target = full.vocabulary.ids[c.target];
    if (!c.target || !c.history.length) continue;
    const ranked = await full.rankAsync(c.history, c.historyTypes, 10);
    score(
      sums.full,
      Array.from(ranked.index, (j) => full.vocabulary.ids[j]),
      target,
    );
    // The head sees the items it holds; the rest of the history is unknown to it.
    const ids = c.history.map((i) => full.vocabulary.ids[i]);
    const inHead = ids.map((id) => head.vocabulary.indexOf(id));
    const h = inHead.filter((j) => j > 0);
    const t = c.historyTypes.filter((_, k) => inHead[k] > 0);
    const alone = await head.rankAsync(h, t, 10);
    score(
      sums.head,
      Array.from(alone.index, (j) => head.vocabulary.ids[j]),
      target,
    );
    const seen = new Set(ids);
    // The products on screen before, newest first: each one's answer the device kept when it was on screen.
    const recent = [...new Set([...c.history].reverse())].slice(0, RECENT_CANDIDATES);
    const found = recent.map((i, age) => ({ candidates: candidatesOf(table, i, headIds), age }));
    const onScreen = full.vocabulary.ids[c.history[c.history.length - 1]];
    const cut = extraItems(head, found, (id) => (repeats ? false : seen.has(id)), onScreen);
    // The products outside the head that the device kept answers for: SASRec reads them by their rows.
    const tail = found.filter((f) => head.vocabulary.indexOf(f.candidates.item) <= 0);
    const at = new Map(tail.map((f, r) => [f.candidates.item, r]));
    const rows = new Float32Array(tail.length * head.manifest.config.dim);
    tail.forEach((f, r) => {
      rows.set(f.candidates.row as Float32Array, r * head.manifest.config.dim);
    });
    const input = ids
      .map((id, k) => {
        const j = inHead[k] || (at.has(id) ? head.vocabulary.size + (at.get(id) as number) : 0);
        return { j, type: c.historyTypes[k] };
      })
      .filter((x) => x.j > 0);
    const withCandidates = await head.rankAsync(
      input.map((x) => x.j),
      input.map((x) => x.type),
      10,
      { extra: cut.extra, rows },
    );
    score(
      sums.candidates,
      Array.from(withCandidates.index, (j) =>
        j < head.vocabulary.size ? head.vocabulary.ids[j] : cut.ids[j - head.vocabulary.size],
      ),
      target,
    );
  }
  const n = cases.length || 1;
  const of = ([ndcg, hits]: number[]) => ({ ndcg: ndcg / n, hitRate: hits / n });
  return { full: of(sums.full), head: of(sums.head), candidates: of(sums.candidates), cases: cases.length };
}
