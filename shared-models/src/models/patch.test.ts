import type * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from './format-error';
import { applyPatch, encodePatch, weightsLength } from './patch';

type Spec = tf.io.WeightsManifestEntry;

/** Weights of a small model: an item table (rows by id), a dense matrix, a quantised vector. */
function model(items: string[], fill: (tensor: number, at: number) => number) {
  const specs: Spec[] = [
    { name: 'dense', shape: [3, 2], dtype: 'float32' },
    {
      name: 'item_embedding',
      shape: [items.length, 4],
      dtype: 'float32',
      quantization: { dtype: 'uint8', min: 0, scale: 1 },
    },
    {
      name: 'popularity',
      shape: [items.length],
      dtype: 'float32',
      quantization: { dtype: 'uint16', min: 0, scale: 1 },
    },
  ];
  const bytes = new Uint8Array(weightsLength(specs));
  for (let i = 0; i < bytes.length; i++) bytes[i] = fill(0, i) & 255;
  return { specs, bytes, ids: items };
}

describe('weights patches', () => {
  it('rebuild the new weights exactly, sending only the rows that changed, whatever moved', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 10 }),
        (before, after, changed) => {
          const rowOf = (id: number, k: number) => (id * 7 + k + (changed.includes(id) ? 100 : 0)) & 255;
          const base = model(
            before.map((i) => `i${i}`),
            () => 0,
          );
          const next = model(
            after.map((i) => `i${i}`),
            () => 0,
          );
          // Each item's rows hold values of its own: the same id, the same bytes (unless it changed).
          const write = (m: typeof base, ids: number[], bump: boolean) => {
            const item = 24;
            ids.forEach((id, r) => {
              for (let k = 0; k < 4; k++) m.bytes[item + r * 4 + k] = bump ? rowOf(id, k) : (id * 7 + k) & 255;
              m.bytes[item + ids.length * 4 + r * 2] = bump ? rowOf(id, 9) : (id * 7 + 9) & 255;
            });
          };
          write(base, before, false);
          write(next, after, true);
          const patch = encodePatch(base, next);
          expect(applyPatch(base.bytes, patch, next.specs)).toEqual(next.bytes);
          // Only rows that are new or changed are sent (4 + 2 bytes each); the dense matrix did not change.
          const fresh = after.filter((id) => !before.includes(id) || changed.includes(id)).length;
          const header = new DataView(patch.buffer).getUint32(4, true);
          expect(patch.byteLength - 8 - header).toBe(fresh * 6);
        },
      ),
      // Found by a long run: the dense matrix has as many rows as there are items, so its rows were
      // matched by id, and the one row left over was sent although a free base row had its bytes.
      { examples: [[[0, 1, 38], [38, 0, 2], []]] },
    );
  });

  it('copy rows found by their bytes as runs, and send a lone small row rather than a run dearer than it', () => {
    const spec: Spec[] = [
      { name: 't', shape: [12, 4], dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 1 } },
    ];
    const runs = (patch: Uint8Array) => {
      const length = new DataView(patch.buffer).getUint32(4, true);
      return JSON.parse(new TextDecoder().decode(patch.subarray(8, 8 + length))).tensors[0].copy;
    };
    const ids = Array.from({ length: 12 }, (_, i) => `i${i}`);
    // Equal rows (zeros): the last six items kept, six new ones. The new ones take the free rows in turn: two runs.
    const zeros = new Uint8Array(48);
    const kept = [...ids.slice(6), ...ids.slice(0, 6).map((id) => `new-${id}`)];
    const turned = encodePatch({ bytes: zeros, specs: spec, ids }, { bytes: zeros, specs: spec, ids: kept });
    expect(runs(turned)).toEqual([0, 6, 6, 6, 0, 6]);
    // Without ids, a row put in at the top: the rest are one run, and only the new row is sent.
    const base = Uint8Array.from({ length: 48 }, (_, i) => (i * 37 + 11) & 255);
    const next = new Uint8Array(48).fill(200, 0, 4);
    next.set(base.subarray(0, 44), 4);
    const shifted = encodePatch({ bytes: base, specs: spec }, { bytes: next, specs: spec });
    expect(runs(shifted)).toEqual([1, 0, 11]);
    expect(applyPatch(base, shifted, spec)).toEqual(next);
    // A lone 4-byte row that happens to equal a free base row is sent: `,11,0,1` would cost more.
    const lone = base.slice().fill(200, 0, 4);
    lone.set(base.subarray(0, 4), 44);
    const alone = encodePatch({ bytes: base, specs: spec }, { bytes: lone, specs: spec });
    expect(runs(alone)).toEqual([1, 1, 10]);
    expect(alone.byteLength - 8 - new DataView(alone.buffer).getUint32(4, true)).toBe(8);
    expect(applyPatch(base, alone, spec)).toEqual(lone);
  });

  it('refuse every patch that does not fit the base or the specs, with a ModelFormatError', () => {
    const base = model(['a', 'b', 'c'], (_, i) => i);
    const next = model(['a', 'b', 'c', 'd'], (_, i) => i * 3);
    const patch = encodePatch(base, next);
    const refuse = (bytes: Uint8Array, on = base.bytes, specs = next.specs) =>
      expect(() => applyPatch(on, bytes, specs)).toThrow(ModelFormatError);
    refuse(patch.subarray(0, patch.byteLength - 1)); // cut short
    refuse(new Uint8Array([...patch, 0])); // a byte no row takes
    refuse(patch.subarray(0, 6)); // no header
    refuse(new Uint8Array([0, 0, 0, 0, ...patch.subarray(4)])); // not a patch
    refuse(patch, base.bytes.subarray(1)); // another base
    refuse(patch, base.bytes, next.specs.slice(1)); // other tensors
    // A hostile header: a run past the base, a run past the tensor, runs that are not numbers.
    const header = (edit: (h: { tensors: { copy: unknown[] }[] }) => void) => {
      const length = new DataView(patch.buffer).getUint32(4, true);
      const h = JSON.parse(new TextDecoder().decode(patch.subarray(8, 8 + length)));
      edit(h);
      const text = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + text.byteLength + patch.byteLength - 8 - length);
      out.set(patch.subarray(0, 4));
      new DataView(out.buffer).setUint32(4, text.byteLength, true);
      out.set(text, 8);
      out.set(patch.subarray(8 + length), 8 + text.byteLength);
      return out;
    };
    refuse(header((h) => h.tensors[1].copy.push(0, 2, 5)));
    refuse(header((h) => h.tensors[1].copy.push(3, 0, 2)));
    refuse(header((h) => h.tensors[1].copy.push('0', null, 1)));
    refuse(header((h) => h.tensors[1].copy.push(0, 0)));
    refuse(header((h) => h.tensors.pop()));
    // Runs out of order or over each other (each would copy the tensor again), a base spec that is not one.
    refuse(header((h) => h.tensors[1].copy.push(0, 0, 1)));
    refuse(header((h) => h.tensors[1].copy.unshift(2, 2, 1)));
    refuse(header((h) => Object.assign(h, { base: [null, ...(h as unknown as { base: unknown[] }).base] })));
    refuse(
      header((h) =>
        Object.assign(h, {
          base: [...(h as unknown as { base: unknown[] }).base].fill({
            name: 'dense',
            shape: [3, 2],
            dtype: 'float32',
          }),
        }),
      ),
    );
    const huge = new TextEncoder().encode('APT1');
    refuse(new Uint8Array([...huge, 255, 255, 255, 255, 1, 2]));
  });

  it('copy the whole base when nothing moved: the patch is its header', () => {
    const base = model(['a', 'b', 'c'], (_, i) => i);
    const patch = encodePatch(base, base);
    expect(applyPatch(base.bytes, patch, base.specs)).toEqual(base.bytes);
    const length = new DataView(patch.buffer).getUint32(4, true);
    expect(patch.byteLength).toBe(8 + length);
  });
});
