/**
 * @module test/bench/size — how many bytes every storefront page pays for the tag, and what a device
 * that runs the models pays for the inference script: the part every device loads, then the code of
 * the one backend it runs, then (on wasm) the one binary its browser can use. Snowplow's browser
 * tracker and posthog-js beside it in the same run, bundled by the same Vite and configured to
 * capture the same events (`./peers`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { bundlePeer } from './peers/bundle';
import { type Row, report } from './report';

/** The target. */
const TARGET_GZIP = 12 * 1024;

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;
const br = (b: Buffer) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n: number) => Math.round(n / 100) / 10;

/** The inference script's bytes (Brotli 11, as the edge sends it to a browser on HTTPS; gzip beside it). */
function inferenceRows(dir = 'dist'): Row[] {
  const files = readdirSync(dir).filter((f) => /^aisle-infer(-[\w-]+)?\.js$/.test(f));
  const sized = (f: string) => {
    const b = readFileSync(join(dir, f));
    return { br: br(b), gzip: gz(b) };
  };
  const backend = (name: string) => files.find((f) => f.startsWith(`aisle-infer-${name}-`));
  const core = files.filter((f) => !['wasm', 'webgl', 'webgpu'].some((n) => f.startsWith(`aisle-infer-${n}-`)));
  const coreBytes = core.map(sized).reduce((a, b) => ({ br: a.br + b.br, gzip: a.gzip + b.gzip }), { br: 0, gzip: 0 });
  const rows: Row[] = [
    {
      metric: `aisle-infer: what every device loads (${core.length} files: TF.js core, Layers, CPU backend, models), brotli (gzip)`,
      value: kb(coreBytes.br),
      unit: `KB (${kb(coreBytes.gzip)} KB)`,
      reference: 'one bundle of every backend before: 331 KB gzip',
    },
  ];
  for (const name of ['wasm', 'webgl', 'webgpu']) {
    const f = backend(name);
    if (!f) throw new Error(`no ${name} chunk in ${dir}: run npm run build`);
    const b = sized(f);
    rows.push({
      metric: `aisle-infer: + the ${name} backend's code, brotli (gzip)`,
      value: kb(b.br),
      unit: `KB (${kb(b.gzip)} KB)`,
    });
  }
  const wasmDir = join(
    dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist',
  );
  for (const [variant, why] of [
    ['tfjs-backend-wasm-simd.wasm', 'SIMD, no threads: every current browser on a shop page'],
    ['tfjs-backend-wasm.wasm', 'neither'],
    ['tfjs-backend-wasm-threaded-simd.wasm', 'SIMD and threads: cross-origin isolated pages only'],
  ]) {
    const b = readFileSync(join(wasmDir, variant));
    rows.push({
      metric: `aisle-infer: + one wasm binary, ${variant} (${why}), brotli (gzip)`,
      value: kb(br(b)),
      unit: `KB (${kb(gz(b))} KB)`,
    });
  }
  return rows;
}

/** The peers in the same run: each bundled as a shop ships it, configured for the events `aisle.js` captures. */
async function peerRows(aisleGzip: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, what] of [
    [
      'snowplow',
      'Snowplow browser tracker 4.10 + its e-commerce plugin (page views, activity pings, GA4 dataLayer events)',
    ],
    ['posthog', 'posthog-js 1.449 (page views and leaves, autocapture, GA4 dataLayer events; no session recording)'],
  ] as const) {
    const b = await bundlePeer(name);
    rows.push({
      metric: `${what}: minified, gzip -9`,
      value: gz(b),
      unit: `B (${kb(b.length)} KB minified)`,
      reference: `${(gz(b) / aisleGzip).toFixed(1)}× aisle.js`,
    });
  }
  return rows;
}

export async function benchSize(file = 'dist/aisle.js', syncFile = 'dist/aisle-sync.js') {
  const js = readFileSync(file);
  const gzip = gz(js);
  const brotli = brotliCompressSync(js, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  const sync = readFileSync(syncFile);
  const rows: Row[] = [
    { metric: 'aisle.js minified', value: js.length, unit: 'B' },
    {
      metric: 'aisle.js gzip -9',
      value: gzip,
      unit: 'B',
      reference: `target <= ${TARGET_GZIP} B; the peers, measured below`,
      pass: gzip <= TARGET_GZIP,
    },
    { metric: 'aisle.js brotli -11', value: brotli, unit: 'B' },
    {
      metric: 'aisle-sync.js gzip -9 (storage and sync, loaded into a worker after start)',
      value: gz(sync),
      unit: 'B',
    },
    {
      metric: 'aisle-recs.js gzip -9 (the worker client and widget, loaded when idle with personalisation consent)',
      value: gz(readFileSync('dist/aisle-recs.js')),
      unit: 'B',
    },
    ...(await peerRows(gzip)),
    ...inferenceRows(),
  ];
  report('size', 'Storefront script size', rows);
  return rows;
}
