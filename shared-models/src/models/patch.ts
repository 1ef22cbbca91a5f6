/**
 * @module shared-models/models/patch — a retrain that moved few rows ships few bytes. A model's
 * `weights.bin` may travel as the bytes of an earlier version's (`weights.base.bin`: the same
 * content, so the same SHA-256, so a device that holds that version already holds it) and a patch
 * (`weights.patch.bin`) that says, tensor by tensor, which rows are the base's rows as they were
 * (runs copied by row, so an item that moved to another index still costs nothing) and carries the
 * bytes of every other row. Rows are compared as written (quantised), so a row is sent only when a
 * device would decode something different from it.
 *
 * The patch: `APT1`, the header's length (uint32, little-endian), the header (JSON: the base's
 * weight specs, and for each tensor of the new model its copied runs as `[row, baseRow, count]`
 * triples), then the bytes of every row not copied, tensor by tensor in the new specs' order, rows
 * ascending. Patches are always against a *base* (a version shipped whole), never chained: a device
 * several versions behind downloads one patch.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelFormatError } from './format-error';

export const BASE_FILE = 'weights.base.bin';
export const PATCH_FILE = 'weights.patch.bin';

const MAGIC = [0x41, 0x50, 0x54, 0x31]; // "APT1"

type Spec = tf.io.WeightsManifestEntry;

interface PatchHeader {
  base: Spec[];
  tensors: { name: string; copy: number[] }[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** One tensor's place in a weights buffer: where it starts, its rows and each row's bytes. */
interface Layout {
  offset: number;
  rows: number;
  rowBytes: number;
}

function layouts(specs: readonly Spec[]): { byName: Map<string, Layout>; total: number } {
  const byName = new Map<string, Layout>();
  let offset = 0;
  const names = new Set<string>();
  for (const spec of specs) {
    if (!spec || typeof spec !== 'object' || typeof spec.name !== 'string' || names.has(spec.name)) {
      throw new ModelFormatError('a weight spec is not one this format knows (or names a tensor twice)');
    }
    names.add(spec.name);
    const bytes = BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (!bytes || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFormatError(`weight ${spec.name} has no size this format knows`);
    }
    const rows = spec.shape.length ? spec.shape[0] : 1;
    const perRow = spec.shape.slice(1).reduce((n, d) => n * d, 1) * bytes;
    byName.set(spec.name, { offset, rows, rowBytes: perRow });
    offset += rows * perRow;
  }
  return { byName, total: offset };
}

/** The byte length of a weights buffer written to `specs`. */
export const weightsLength = (specs: readonly Spec[]): number => layouts(specs).total;

/**
 * The patch that turns `base.bytes` (laid out by `base.specs`) into `next.bytes`. Rows of
 * a tensor that has one row per id (its first dimension the length of `base.ids` / `next.ids`) are
 * matched by id first, then by index, then as the next row of the run before, then with any base
 * row of the same bytes not already taken (where its copy costs fewer bytes than the row); a row is
 * copied only where its bytes are the same.
 */
export function encodePatch(
  base: { bytes: Uint8Array; specs: readonly Spec[]; ids?: readonly string[] },
  next: { bytes: Uint8Array; specs: readonly Spec[]; ids?: readonly string[] },
): Uint8Array {
  const from = layouts(base.specs).byName;
  const to = layouts(next.specs);
  if (base.bytes.byteLength !== layouts(base.specs).total || next.bytes.byteLength !== to.total) {
    throw new RangeError('the weights do not match their specs');
  }
  const baseIndex = new Map((base.ids ?? []).map((id, i) => [id, i]));
  const tensors: PatchHeader['tensors'] = [];
  const literal: Uint8Array[] = [];
  for (const spec of next.specs) {
    const n = to.byName.get(spec.name) as Layout;
    const b = from.get(spec.name);
    const copy: number[] = [];
    // Each base row at most once (so a patch never makes more than base and patch hold: `applyPatch`).
    const used = new Uint8Array(b?.rows ?? 0);
    const same = (row: number, baseRow: number) => {
      if (!b || baseRow < 0 || baseRow >= b.rows || used[baseRow]) return false;
      const x = next.bytes.subarray(n.offset + row * n.rowBytes, n.offset + (row + 1) * n.rowBytes);
      const y = base.bytes.subarray(b.offset + baseRow * b.rowBytes, b.offset + (baseRow + 1) * b.rowBytes);
      for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
      return true;
    };
    const byId = b && base.ids && next.ids && b.rows === base.ids.length && n.rows === next.ids.length;
    const sameShape = b && b.rowBytes === n.rowBytes;
    // Base rows by a hash of their bytes (ascending in each bucket, `next` past the taken front),
    // made the first time a row is neither the same id's, the same index's nor the next of a run:
    // a tensor whose rows only happen to number the items, or a row another took.
    let byContent: Map<number, { rows: number[]; next: number }> | undefined;
    const hashOf = (bytes: Uint8Array, start: number, length: number) => {
      let h = 0x811c9dc5;
      for (let k = start; k < start + length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
      return h >>> 0;
    };
    const anyRow = (row: number) => {
      if (!b) return -1;
      if (!byContent) {
        byContent = new Map();
        for (let r = 0; r < b.rows; r++) {
          const h = hashOf(base.bytes, b.offset + r * b.rowBytes, b.rowBytes);
          const bucket = byContent.get(h);
          if (bucket) bucket.rows.push(r);
          else byContent.set(h, { rows: [r], next: 0 });
        }
      }
      const bucket = byContent.get(hashOf(next.bytes, n.offset + row * n.rowBytes, n.rowBytes));
      if (!bucket) return -1;
      // The lowest free row first, so that equal rows taken in turn make one run.
      while (bucket.next < bucket.rows.length && used[bucket.rows[bucket.next]]) bucket.next++;
      for (let i = bucket.next; i < bucket.rows.length; i++) if (same(row, bucket.rows[i])) return bucket.rows[i];
      return -1;
    };
    for (let row = 0; row < n.rows; row++) {
      // The same id's row, else the same index, else the row after the last one copied (a run goes
      // on), else any free row of the same bytes where copying costs fewer bytes than sending.
      const byIdRow = byId ? (baseIndex.get((next.ids as readonly string[])[row]) ?? -1) : -1;
      const last = copy.length - 3;
      const onward = last >= 0 && copy[last] + copy[last + 2] === row ? copy[last + 1] + copy[last + 2] : -1;
      let baseRow = -1;
      if (sameShape) {
        // A candidate already compared (the same index as the id's, a run going on there) is not compared again.
        if (same(row, byIdRow)) baseRow = byIdRow;
        else if (row !== byIdRow && same(row, row)) baseRow = row;
        else if (onward !== byIdRow && onward !== row && same(row, onward)) baseRow = onward;
        else {
          const found = anyRow(row);
          // A run of its own costs `,row,baseRow,count` in the header: taken where the rows it
          // would copy (this one, found equal, and those that go on from it) outweigh that.
          const cost = `${row}${found}`.length + 4;
          let gain = found >= 0 ? n.rowBytes : 0;
          for (let k = 1; found >= 0 && gain <= cost && row + k < n.rows && same(row + k, found + k); k++) {
            gain += n.rowBytes;
          }
          if (gain > cost) baseRow = found;
        }
      }
      // Every way above found `baseRow` with its bytes compared: no second comparison.
      if (baseRow >= 0) {
        used[baseRow] = 1;
        // A run continues where both sides go on one row at a time.
        if (baseRow === onward) copy[last + 2]++;
        else copy.push(row, baseRow, 1);
      } else literal.push(next.bytes.subarray(n.offset + row * n.rowBytes, n.offset + (row + 1) * n.rowBytes));
    }
    tensors.push({ name: spec.name, copy });
  }
  const header = new TextEncoder().encode(JSON.stringify({ base: [...base.specs], tensors } satisfies PatchHeader));
  const size = 8 + header.byteLength + literal.reduce((s, r) => s + r.byteLength, 0);
  const out = new Uint8Array(size);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const r of literal) {
    out.set(r, at);
    at += r.byteLength;
  }
  return out;
}

/** The base's weight specs a patch was made against (to find its bytes' layout), or a `ModelFormatError`. */
function readHeader(patch: Uint8Array): { header: PatchHeader; dataStart: number } {
  if (patch.byteLength < 8 || MAGIC.some((m, i) => patch[i] !== m)) throw new ModelFormatError('not a weights patch');
  const length = new DataView(patch.buffer, patch.byteOffset, patch.byteLength).getUint32(4, true);
  if (8 + length > patch.byteLength) throw new ModelFormatError('the patch is cut short');
  let header: PatchHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(patch.subarray(8, 8 + length)));
  } catch {
    throw new ModelFormatError('the patch header is not JSON');
  }
  if (!Array.isArray(header?.base) || !Array.isArray(header.tensors)) {
    throw new ModelFormatError('the patch header has no base or tensors');
  }
  return { header, dataStart: 8 + length };
}

/** The base's weight specs a patch was made against. */
export const patchBaseSpecs = (patch: Uint8Array): Spec[] => readHeader(patch).header.base;

/**
 * `weights.bin` as `specs` lay it out, from the base's bytes and the patch; a `ModelFormatError`
 * for a patch that does not fit them (every run and every byte is bounds-checked).
 */
export function applyPatch(base: Uint8Array, patch: Uint8Array, specs: readonly Spec[]): Uint8Array {
  const { header, dataStart } = readHeader(patch);
  const from = layouts(header.base);
  const to = layouts(specs);
  if (from.total !== base.byteLength) throw new ModelFormatError('the base is not the weights the patch was made for');
  // Each base row is copied at most once per tensor, every other row is in the patch: nothing legitimate is bigger.
  if (to.total > base.byteLength + patch.byteLength) throw new ModelFormatError('the patch makes more than it holds');
  if (header.tensors.length !== specs.length) throw new ModelFormatError('the patch and the specs name other tensors');
  const out = new Uint8Array(to.total);
  let at = dataStart;
  specs.forEach((spec, t) => {
    const entry = header.tensors[t];
    const n = to.byName.get(spec.name) as Layout;
    if (entry?.name !== spec.name || !Array.isArray(entry.copy) || entry.copy.length % 3) {
      throw new ModelFormatError(`the patch has no runs for ${spec.name}`);
    }
    const b = from.byName.get(spec.name);
    const covered = new Uint8Array(n.rows);
    let end = 0;
    for (let k = 0; k < entry.copy.length; k += 3) {
      const [row, baseRow, count] = entry.copy.slice(k, k + 3);
      const whole = [row, baseRow, count].every((v) => Number.isInteger(v) && v >= 0);
      // Runs in row order, none over another: the work is bounded by the tensor's rows.
      if (
        !b ||
        b.rowBytes !== n.rowBytes ||
        !whole ||
        count < 1 ||
        row < end ||
        row + count > n.rows ||
        baseRow + count > b.rows
      ) {
        throw new ModelFormatError(`a run of ${spec.name} lies outside it`);
      }
      end = row + count;
      const start = b.offset + baseRow * b.rowBytes;
      out.set(base.subarray(start, start + count * b.rowBytes), n.offset + row * n.rowBytes);
      covered.fill(1, row, row + count);
    }
    for (let row = 0; row < n.rows; row++) {
      if (covered[row]) continue;
      if (at + n.rowBytes > patch.byteLength) throw new ModelFormatError(`the patch is short of ${spec.name}'s rows`);
      out.set(patch.subarray(at, at + n.rowBytes), n.offset + row * n.rowBytes);
      at += n.rowBytes;
    }
  });
  if (at !== patch.byteLength) throw new ModelFormatError('the patch has bytes no row takes');
  return out;
}
