/**
 * @module shared-models/models/recommender/head — a recommender that does not grow with the
 * catalogue. Past a threshold the device holds the head (the most viewed items: their embedding
 * rows, neighbours, popularity and content) and SASRec's encoder whole; the edge holds the rest as
 * a candidate table and answers, for the product on screen and nothing else, its neighbours and the
 * rows of those outside the head. The device re-ranks them beside the head with the shopper's own
 * history, which never leaves it.
 *
 * What the edge answers is verified, not trusted: every item's leaf (its id, its embedding row and
 * its neighbours with their similarities) is hashed into a Merkle tree whose root the signed
 * manifest carries, so an edge (or a cache in front of it) can neither alter a row nor invent a
 * neighbour. Leaves and inner nodes are hashed apart (RFC 6962's 0x00 / 0x01 prefixes); a level of
 * odd length carries its last node up unpaired.
 */
import * as tf from '@tensorflow/tfjs';
import { hex, sha256 } from '../../schema/ids';
import { ModelFormatError } from '../files';
import type { ContentTable } from './content';
import type { HeadInfo, NeighbourTable } from './model';

export type { HeadInfo };

import type { SasRecWeights } from './sasrec';

/** The whole model's items as the edge holds them: embedding rows and neighbours, in its item order. */
export interface CandidateTable {
  /** Item ids by index; index 0 is the unknown bucket. */
  ids: string[];
  dim: number;
  width: number;
  /** [ids.length, dim] */
  rows: Float32Array;
  /** [ids.length, width] item indexes, 0 = none, nearest first. */
  neighbours: Int32Array;
  /** [ids.length, width], each rounded to 4 decimals (as its leaf says). */
  similarity: Float32Array;
}

/** The product on screen's neighbours as the device ranks them: by id, with the row of each outside the head. */
export interface Candidates {
  item: string;
  /** The product's own embedding row, for SASRec to read it in the history when the head does not hold it. */
  row?: Float32Array;
  neighbours: { id: string; similarity: number; row?: Float32Array }[];
}

/** What the edge answers: the item's leaf, then the leaf of each neighbour outside the head, each with its proof. */
export interface CandidateAnswer {
  version: number;
  item: string;
  leaves: { index: number; leaf: string; proof: string[] }[];
}

export const CANDIDATES_FILE = 'candidates.bin';
const CANDIDATES_FORMAT = 'aisle-candidates';

/** The full indexes of the head: the unknown bucket, then the `n - 1` most popular items, in the model's order. */
export function headIndexes(popularity: ArrayLike<number>, n: number): Int32Array {
  const order = Array.from({ length: popularity.length - 1 }, (_, j) => j + 1).sort(
    (a, b) => popularity[b] - popularity[a] || a - b,
  );
  return Int32Array.from([0, ...order.slice(0, Math.max(0, n - 1)).sort((a, b) => a - b)]);
}

/**
 * The head's own tables, cut from the whole model's: `keep` (from `headIndexes`) becomes the new
 * item order; neighbours outside the head leave each row (the edge answers them). The weights are
 * new tensors, the caller's to dispose; the encoder's are shared, not copied.
 */
export function cutHead(
  keep: Int32Array,
  parts: {
    items: readonly string[];
    weights: SasRecWeights;
    neighbours: NeighbourTable;
    popularity: Float32Array;
    content: ContentTable;
  },
) {
  const n = keep.length;
  const where = new Map<number, number>();
  keep.forEach((full, j) => {
    where.set(full, j);
  });
  const w = parts.neighbours.width;
  const items = new Int32Array(n * w);
  const similarity = new Float32Array(n * w);
  keep.forEach((full, j) => {
    let k = 0;
    for (let r = 0; r < w; r++) {
      const at = where.get(parts.neighbours.items[full * w + r]);
      if (!at) continue; // none, or outside the head
      items[j * w + k] = at;
      similarity[j * w + k++] = parts.neighbours.similarity[full * w + r];
    }
  });
  const gather = <T extends Float32Array | Int32Array>(from: T): T => {
    const out = new (from.constructor as new (n: number) => T)(n);
    keep.forEach((full, j) => {
      out[j] = from[full];
    });
    return out;
  };
  const weights = { ...parts.weights, item_embedding: tf.gather(parts.weights.item_embedding, keep) };
  return {
    items: Array.from(keep, (full) => parts.items[full]),
    weights: weights as SasRecWeights,
    neighbours: { items, similarity, width: w },
    popularity: gather(parts.popularity),
    content: {
      category: gather(parts.content.category),
      band: gather(parts.content.band),
      coldness: gather(parts.content.coldness),
    },
  };
}

/** The whole model's candidate table: its embedding rows and its first `width` neighbours. */
export async function candidateTable(
  ids: readonly string[],
  embedding: tf.Tensor2D,
  neighbours: NeighbourTable,
  width: number,
): Promise<CandidateTable> {
  const n = ids.length;
  const w = Math.min(width, neighbours.width);
  const near = new Int32Array(n * w);
  const similarity = new Float32Array(n * w);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < w; r++) {
      near[i * w + r] = neighbours.items[i * neighbours.width + r];
      similarity[i * w + r] = round4(neighbours.similarity[i * neighbours.width + r]);
    }
  const rows = (await embedding.data()) as Float32Array;
  return { ids: [...ids], dim: embedding.shape[1], width: w, rows, neighbours: near, similarity };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The table as one file: a little-endian u32 header length, the JSON header, then rows, neighbours, similarities. */
export function encodeCandidates(table: CandidateTable): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ format: CANDIDATES_FORMAT, ids: table.ids, dim: table.dim, width: table.width }),
  );
  const pad = (4 - ((4 + header.length) % 4)) % 4;
  const start = 4 + header.length + pad;
  const out = new Uint8Array(start + 4 * (table.rows.length + table.neighbours.length + table.similarity.length));
  new DataView(out.buffer).setUint32(0, header.length + pad, true);
  out.set(header, 4);
  out.fill(0x20, 4 + header.length, start);
  let at = start;
  for (const part of [table.rows, table.neighbours, table.similarity]) {
    out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at);
    at += part.byteLength;
  }
  return out;
}

export function decodeCandidates(bytes: Uint8Array): CandidateTable {
  const fail = (why: string) => new ModelFormatError(`${CANDIDATES_FILE}: ${why}`);
  if (bytes.byteLength < 4) throw fail('too short');
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (4 + length > bytes.byteLength) throw fail('its header runs past its end');
  let header: { format?: unknown; ids?: unknown; dim?: unknown; width?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  } catch {
    throw fail('its header is not JSON');
  }
  const { ids, dim, width } = header;
  if (header.format !== CANDIDATES_FORMAT) throw fail(`not ${CANDIDATES_FORMAT}`);
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw fail('no item ids');
  if (!Number.isInteger(dim) || !Number.isInteger(width) || (dim as number) < 1 || (width as number) < 1)
    throw fail('no valid dim or width');
  const n = ids.length;
  const d = dim as number;
  const w = width as number;
  const start = 4 + length;
  if (bytes.byteLength !== start + 4 * n * (d + 2 * w)) throw fail(`not ${n} rows of ${d} and ${w} neighbours`);
  // A copy of its own, aligned (a Node Buffer's `slice` would be a view into a shared pool).
  const body = new Uint8Array(bytes.byteLength - start);
  body.set(bytes.subarray(start));
  const neighbours = new Int32Array(body.buffer, 4 * n * d, n * w);
  if (neighbours.some((j) => j < 0 || j >= n)) throw fail('a neighbour outside the table');
  return {
    ids: ids as string[],
    dim: d,
    width: w,
    rows: new Float32Array(body.buffer, 0, n * d),
    neighbours,
    similarity: new Float32Array(body.buffer, 4 * n * (d + w), n * w),
  };
}

const base64 = (bytes: Uint8Array) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const unbase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** Item `i`'s leaf: `[id, its row (float32, little-endian, base64), [[neighbour id, similarity], …]]` as JSON. */
export function leafOf(table: CandidateTable, i: number): string {
  const row = table.rows.slice(i * table.dim, (i + 1) * table.dim);
  const near: [string, number][] = [];
  for (let r = 0; r < table.width; r++) {
    const j = table.neighbours[i * table.width + r];
    if (j > 0) near.push([table.ids[j], table.similarity[i * table.width + r]]);
  }
  return JSON.stringify([table.ids[i], base64(new Uint8Array(row.buffer)), near]);
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const leafHash = (leaf: string) => sha256(concat(Uint8Array.of(0), new TextEncoder().encode(leaf)));
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(concat(Uint8Array.of(1), left, right));

/** One level of the tree: its hashes, 32 bytes each, side by side (one allocation, not one per node). */
export interface MerkleLevel {
  count: number;
  hashes: Uint8Array;
}
const at = (level: MerkleLevel, k: number) => level.hashes.subarray(32 * k, 32 * (k + 1));

/** Every level of the tree over the table's items (item 1 is leaf 0), leaves first, the root last. */
export async function merkleLevels(table: CandidateTable): Promise<MerkleLevel[]> {
  const count = table.ids.length - 1;
  if (count < 1) throw new ModelFormatError(`${CANDIDATES_FILE}: no items`);
  const leaves: MerkleLevel = { count, hashes: new Uint8Array(32 * count) };
  for (let from = 0; from < count; from += 4096) {
    const upTo = Math.min(count, from + 4096);
    const hashed = await Promise.all(
      Array.from({ length: upTo - from }, (_, k) => leafHash(leafOf(table, from + k + 1))),
    );
    hashed.forEach((h, k) => {
      leaves.hashes.set(h, 32 * (from + k));
    });
  }
  const levels = [leaves];
  for (let below = leaves; below.count > 1; ) {
    const next: MerkleLevel = {
      count: Math.ceil(below.count / 2),
      hashes: new Uint8Array(32 * Math.ceil(below.count / 2)),
    };
    for (let from = 0; from < next.count; from += 4096) {
      const upTo = Math.min(next.count, from + 4096);
      const hashed = await Promise.all(
        Array.from({ length: upTo - from }, (_, i) => {
          const k = from + i;
          return 2 * k + 1 < below.count ? nodeHash(at(below, 2 * k), at(below, 2 * k + 1)) : at(below, 2 * k);
        }),
      );
      hashed.forEach((h, i) => {
        next.hashes.set(h, 32 * (from + i));
      });
    }
    levels.push(next);
    below = next;
  }
  return levels;
}

export const merkleRoot = (levels: MerkleLevel[]) => hex(at(levels[levels.length - 1], 0));

/** The siblings on leaf `leaf`'s way to the root, lowest first (none where a level carried it up unpaired). */
export function proofOf(levels: MerkleLevel[], leaf: number): string[] {
  const proof: string[] = [];
  let k = leaf;
  for (let l = 0; l < levels.length - 1; l++, k >>= 1) {
    const sibling = k ^ 1;
    if (sibling < levels[l].count) proof.push(base64(at(levels[l], sibling)));
  }
  return proof;
}

/** Whether `leaf` is leaf `index` of `count` under `root` (hex) by `proof`. */
export async function verifyLeaf(
  leaf: string,
  index: number,
  count: number,
  proof: readonly string[],
  root: string,
): Promise<boolean> {
  if (!Number.isInteger(index) || index < 0 || index >= count || !Array.isArray(proof)) return false;
  let hash = await leafHash(leaf);
  let at = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    const sibling = at ^ 1;
    if (sibling < width) {
      const next = proof[used++];
      if (typeof next !== 'string') return false;
      let bytes: Uint8Array;
      try {
        bytes = unbase64(next);
      } catch {
        return false;
      }
      if (bytes.length !== 32) return false;
      hash = await (at & 1 ? nodeHash(bytes, hash) : nodeHash(hash, bytes));
    }
    at >>= 1;
    width = Math.ceil(width / 2);
  }
  return used === proof.length && hex(hash) === root;
}

/** The edge's answer for `item` (undefined when the whole model does not know it): its leaf, then each neighbour's outside `head`. */
export function answerFor(
  table: CandidateTable,
  levels: MerkleLevel[],
  indexOf: ReadonlyMap<string, number>,
  item: string,
  head: ReadonlySet<string>,
  version: number,
): CandidateAnswer | undefined {
  const i = indexOf.get(item);
  if (!i) return undefined;
  const leaf = (j: number) => ({ index: j - 1, leaf: leafOf(table, j), proof: proofOf(levels, j - 1) });
  const leaves = [leaf(i)];
  for (let r = 0; r < table.width; r++) {
    const j = table.neighbours[i * table.width + r];
    if (j > 0 && !head.has(table.ids[j])) leaves.push(leaf(j));
  }
  return { version, item, leaves };
}

/** A leaf's parts, or undefined when it is not one. */
function parseLeaf(leaf: string, dim: number): { id: string; row: Float32Array; near: [string, number][] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(leaf);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [id, row, near] = parsed as [unknown, unknown, unknown];
  if (typeof id !== 'string' || typeof row !== 'string' || !Array.isArray(near)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = unbase64(row);
  } catch {
    return undefined;
  }
  if (bytes.length !== 4 * dim) return undefined;
  if (!near.every((n) => Array.isArray(n) && typeof n[0] === 'string' && Number.isFinite(n[1]))) return undefined;
  return { id, row: new Float32Array(bytes.buffer, bytes.byteOffset, dim), near: near as [string, number][] };
}

/**
 * The candidates an answer proves for `item` under the head's root: the item's own neighbours (its
 * leaf), with the row of each neighbour whose own leaf came too. Throws what is wrong with it.
 */
export async function verifyCandidates(
  answer: unknown,
  item: string,
  head: HeadInfo,
  dim: number,
): Promise<Candidates> {
  const a = answer as Partial<CandidateAnswer> | null;
  if (!a || typeof a !== 'object' || !Array.isArray(a.leaves) || !a.leaves.length)
    throw new Error('the answer has no leaves');
  const count = head.of - 1;
  const proven: { index: number; id: string; row: Float32Array; near: [string, number][] }[] = [];
  for (const l of a.leaves.slice(0, 1 + head.width)) {
    const parsed = typeof l?.leaf === 'string' ? parseLeaf(l.leaf, dim) : undefined;
    if (!parsed || !(await verifyLeaf(l.leaf, l.index, count, l.proof, head.root)))
      throw new Error(`leaf ${proven.length} is not under the model's root`);
    proven.push({ index: l.index, ...parsed });
  }
  const [own, ...rest] = proven;
  if (own.id !== item) throw new Error(`the answer is for ${own.id}, not ${item}`);
  const rows = new Map(rest.map((p) => [p.id, p.row]));
  return {
    item,
    row: own.row,
    neighbours: own.near.slice(0, head.width).map(([id, similarity]) => ({ id, similarity, row: rows.get(id) })),
  };
}

/** The candidates straight from the table (the edge's own preview and the evaluation): what a verified answer yields. */
export function candidatesOf(table: CandidateTable, i: number, head: ReadonlySet<string>): Candidates {
  const neighbours: Candidates['neighbours'] = [];
  for (let r = 0; r < table.width; r++) {
    const j = table.neighbours[i * table.width + r];
    if (j <= 0) continue;
    const id = table.ids[j];
    neighbours.push({
      id,
      similarity: table.similarity[i * table.width + r],
      ...(head.has(id) ? {} : { row: table.rows.slice(j * table.dim, (j + 1) * table.dim) }),
    });
  }
  return { item: table.ids[i], row: table.rows.slice(i * table.dim, (i + 1) * table.dim), neighbours };
}
