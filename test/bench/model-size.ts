/**
 * @module test/bench/model-size — what a device downloads for a real shop of 10,000 items: a model
 * trained as `aisle train recommender` ships it on YooChoose's 10,000 most viewed items (quantised
 * as the trainer chooses on validation), beside the synthetic 10,000-item model the phone benchmark
 * loads (random weights and uniformly random neighbours: the worst case for compression), in the
 * same run. Bytes as Brotli 9 (as the edge compresses what it sends), each file the device fetches (manifest, model.json, weights), and each
 * tensor of the weights apart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceShards, type ModelManifest } from '@aisle/shared-models/models/manifest';
import { BYTES, type QuantDtype } from '@aisle/shared-models/models/quantize';
import { useBackend } from '../../training/src/backend';
import { leaveLastOut } from '../../training/src/data/sequences';
import { readModelDir } from '../../training/src/model-files';
import { trainRecommender } from '../../training/src/pipelines/recommender-sasrec';
import { brotliBytes as brotli, saveRecommender } from '../../training/src/recommender-files';
import { syntheticModel } from '../helpers/synthetic-model';
import { yooChooseClicks, yooChooseMissing } from './datasets';
import { type Row, report, SEEDS } from './report';

const ITEMS = 10_000;
const TARGET_KB = 1000;
/** Epochs of the training (fixed, not a time budget: the bytes must not depend on the machine's load). */
const EPOCHS = Number(process.env.AISLE_BENCH_SIZE_EPOCHS ?? 3);
const BENCH_SEEDS = SEEDS.slice(0, Number(process.env.AISLE_BENCH_SIZE_SEEDS ?? 1));
/** Validation and test cases (full ranking over every item for each). */
const CASES = 1000;

interface Sizes {
  /** Every file the device fetches, Brotli bytes. */
  total: number;
  files: Record<string, number>;
  /** The weights' tensors, Brotli bytes each (those over 5 KB raw). */
  tensors: Record<string, number>;
}

/** The device's files of the model in `dir` (the edge-only ones left out), and the weights' tensors apart. */
function sizesOf(dir: string): Sizes {
  const { manifest, files } = readModelDir(dir);
  const out: Sizes = { total: 0, files: {}, tensors: {} };
  const fetched: [string, Uint8Array][] = [
    ['manifest.json', readFileSync(join(dir, 'manifest.json'))],
    ...deviceShards(manifest as ModelManifest).map(
      (s) => [s.path, files.get(s.path) as Uint8Array] as [string, Uint8Array],
    ),
  ];
  for (const [path, bytes] of fetched) {
    out.files[path] = brotli(bytes);
    out.total += out.files[path];
  }
  const model = JSON.parse(Buffer.from(files.get('model.json') as Uint8Array).toString('utf8')) as {
    weightsManifest: {
      paths: string[];
      weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: QuantDtype } }[];
    }[];
  };
  for (const group of model.weightsManifest) {
    const bin = files.get(group.paths[0]) as Uint8Array;
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? BYTES[w.quantization.dtype] : 4);
      if (n > 5000) out.tensors[w.name] = brotli(bin.subarray(offset, offset + n));
      offset += n;
    }
  }
  return out;
}

export async function benchModelSize() {
  const absent = yooChooseMissing();
  if (absent) {
    console.warn(`\nmodel-size: skipped, ${absent}`);
    return;
  }
  await useBackend('wasm');
  const dirs: string[] = [];
  try {
    const synthetic = join(mkdtempSync(join(tmpdir(), 'aisle-size-')), 'models', 'recommender');
    dirs.push(join(synthetic, '..', '..'));
    await syntheticModel(synthetic, ITEMS);
    const base = sizesOf(synthetic);

    // The shop: YooChoose's 10,000 most viewed items and every click on them.
    const all = yooChooseClicks();
    const views = new Map<string, number>();
    for (const e of all) views.set(e.item_id, (views.get(e.item_id) ?? 0) + 1);
    const kept = new Set(
      [...views]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, ITEMS)
        .map(([id]) => id),
    );
    const split = leaveLastOut(all.filter((e) => kept.has(e.item_id)));
    const real: (Sizes & { seed: number; width: number; ndcg: number; quantization: Record<string, string> })[] = [];
    for (const seed of BENCH_SEEDS) {
      const trained = await trainRecommender(
        { ...split, valid: split.valid.slice(0, CASES), test: split.test.slice(0, CASES) },
        {
          epochs: EPOCHS,
          seed,
          timeBudget: Number.POSITIVE_INFINITY,
          onEpoch: (_d, _t, line) => console.error(`  YooChoose ${ITEMS} items, seed ${seed}: ${line}`),
        },
      );
      const dir = mkdtempSync(join(tmpdir(), 'aisle-size-'));
      dirs.push(dir);
      await saveRecommender(dir, trained);
      trained.model.dispose();
      real.push({
        ...sizesOf(dir),
        seed,
        width: trained.neighbours.width,
        ndcg: trained.results[0].test.ndcg,
        quantization: trained.quantization ?? {},
      });
    }
    const kb = (b: number) => Math.round(b / 100) / 10;
    const largest = real.reduce((a, b) => (b.total > a.total ? b : a));
    const worst = largest.total;
    const tensors = (s: Sizes) =>
      Object.entries(s.tensors)
        .map(([name, b]) => `${name} ${kb(b)}`)
        .join(', ');
    const rows: Row[] = [
      {
        metric: `a real shop of ${ITEMS.toLocaleString('en')} items (YooChoose's most viewed; ${EPOCHS} epochs, ${real.length} seed${real.length > 1 ? 's, the largest' : ''}): every file a device fetches, Brotli 9 as the edge sends it — ${tensors(largest)} KB; neighbour table ${largest.width} wide`,
        value: kb(worst),
        unit: 'KB',
        reference: `target <= ${TARGET_KB} KB`,
        pass: worst <= TARGET_KB * 1000,
      },
      {
        metric: `the phone benchmark's synthetic ${ITEMS.toLocaleString('en')}-item model, same run (random weights, uniformly random neighbours) — ${tensors(base)} KB`,
        value: kb(base.total),
        unit: 'KB',
        reference: `${Math.round((worst / base.total) * 100)} % of it for the real shop`,
      },
    ];
    report(
      'model-size',
      `What a device downloads for a ${ITEMS.toLocaleString('en')}-item shop's recommender (npm run bench -- model-size)`,
      rows,
      { real, synthetic: base },
    );
    return rows;
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
