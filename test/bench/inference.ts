/**
 * @module test/bench/inference — on-device inference in Chromium, per backend that starts here:
 * model load time from the network and from IndexedDB, first and warm latency (p50/p95) of a
 * top-10 recommendation over catalogues of 1k, 10k and 100k items, next to the floor — a bare
 * [1 × 64] · [64 × items] product on the same backend, asked of the worker and read back the same
 * way, round trip included, each request right after one — and the main-thread long tasks while it runs.
 * Beside wasm, the runtime a shop might pick instead: the same SASRec encoder exported to ONNX
 * (`./peers/onnx`, the same uint8 weights) in ONNX Runtime Web's wasm build, in a worker of the
 * same page, asked for the same history's top 10 right after each of Aisle's recommendations; its
 * load time and the bytes its runtime and model cost, served compressed by the same server.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ARCHS } from '@aisle/shared-models/models/recommender';
import { compressOnce } from '../../edge-server/src/compressed';
import { useBackend } from '../../training/src/backend';
import { launch } from '../helpers/browser';
import { startServer, tempSqlite } from '../helpers/server';
import { syntheticModel } from '../helpers/synthetic-model';
import { onnxOfModelDir } from './peers/onnx';
import { pick, type Row, report } from './report';

/** Every size and backend by default; `AISLE_BENCH_SIZES=1000,10000` and `AISLE_BENCH_BACKENDS=wasm,cpu` run a subset (written to `inference-<subset>.json`). */
const SIZES = pick([1000, 10_000, 100_000], process.env.AISLE_BENCH_SIZES);
const BACKENDS = pick(['wasm', 'webgpu', 'webgl', 'cpu'] as const, process.env.AISLE_BENCH_BACKENDS);
/** The networks, each a synthetic model of every size: `AISLE_BENCH_ARCHS=srgnn` runs one (and writes `inference-srgnn.json`). */
const ARCHS_BENCHED = pick(ARCHS, process.env.AISLE_BENCH_ARCHS);
const WARM_RUNS = 60;
const subset = [process.env.AISLE_BENCH_ARCHS, process.env.AISLE_BENCH_SIZES, process.env.AISLE_BENCH_BACKENDS]
  .filter(Boolean)
  .join('-')
  .replaceAll(',', '-');

const PAGE = `<!doctype html><html><head><title>Inference bench</title></head><body><h1>Inference bench</h1>
<script>
window.longTasks = [];
// What the page was doing when a long task began: the phase marked last before it.
window.marks = [['page', 0]];
window.mark = (name) => window.marks.push([name, performance.now()]);
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const phase = window.marks.filter(([, at]) => at <= e.startTime).at(-1)[0];
    window.longTasks.push({ ms: Math.round(e.duration), phase });
  }
}).observe({ type: 'longtask', buffered: true });
// The peer: ONNX Runtime Web (wasm, one thread as Aisle's) in a module worker of its own.
window.startOnnx = (urls) => {
  const src = 'import * as ort from ' + JSON.stringify(urls.ort) + ';' +
    'ort.env.wasm.numThreads = 1;' +
    'ort.env.wasm.wasmPaths = { mjs: ' + JSON.stringify(urls.mjs) + ', wasm: ' + JSON.stringify(urls.wasm) + ' };' +
    'let session;' +
    'onmessage = async ({ data }) => { try {' +
    '  if (data.model) { session = await ort.InferenceSession.create(data.model, { executionProviders: ["wasm"] }); postMessage({ id: data.id, value: true }); return; }' +
    '  const len = data.items.length; const f = (xs) => new ort.Tensor("int64", BigInt64Array.from(xs, BigInt), [1, len]);' +
    '  const t0 = performance.now();' +
    '  const out = await session.run({ items: f(data.items), types: f(data.types), positions: f(data.positions) });' +
    '  postMessage({ id: data.id, value: { ms: performance.now() - t0, top: Array.from(out.top_indexes.data, Number) } });' +
    '} catch (e) { postMessage({ id: data.id, error: String((e && e.message) || e) }); } };';
  const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
  let next = 0;
  const calls = new Map();
  worker.onmessage = ({ data }) => { const p = calls.get(data.id); calls.delete(data.id); data.error ? p.reject(new Error(data.error)) : p.resolve(data.value); };
  worker.onerror = (e) => { for (const p of calls.values()) p.reject(new Error(e.message || 'onnx worker failed')); calls.clear(); };
  window.onnxCall = (message) => new Promise((resolve, reject) => { const id = ++next; calls.set(id, { resolve, reject }); worker.postMessage({ id, ...message }); });
  window.stopOnnx = () => { worker.terminate(); window.onnxCall = undefined; };
  const t0 = performance.now();
  return window.onnxCall({ model: urls.model }).then(() => performance.now() - t0);
};
// The history as the ONNX graph reads it: the last maxLen items' indexes ('I' + n is index n + 1), their types and positions.
window.onnxInput = (history, maxLen) => {
  const last = history.slice(-maxLen);
  return { items: last.map((e) => Number(e.items[0].item_id.slice(1)) + 1), types: last.map(() => 1), positions: last.map((_, i) => maxLen - last.length + i) };
};
window.onnxMs = [];
window.onnxWorkerMs = [];
window.startWorker = (backend) => {
  window.mark('start the worker');
  const blob = new Blob(['import ' + JSON.stringify(location.origin + '/aisle-infer.js') + ';'], { type: 'text/javascript' });
  const worker = new Worker(URL.createObjectURL(blob), { type: 'module' });
  let next = 0;
  const calls = new Map();
  worker.onmessage = ({ data }) => { const p = calls.get(data.id); calls.delete(data.id); data.error ? p.reject(new Error(data.error)) : p.resolve(data.value); };
  window.call = (method, ...args) => new Promise((resolve, reject) => { const id = ++next; calls.set(id, { resolve, reject }); worker.postMessage({ id, method, args }); });
  window.stopWorker = () => worker.terminate();
  const t0 = performance.now();
  return window.call('init', { endpoint: location.origin, backend }).then((status) => ({ status, ms: performance.now() - t0 }));
};
// Each recommendation right after a bare product, the floor, so that drift on a shared machine hits both alike.
window.timeRecommend = async (runs, items) => {
  window.mark('recommend');
  await window.call('floor', items, 64);
  const history = Array.from({ length: 20 }, (_, i) => ({ type: 'view_item', ts: Date.now() - (20 - i) * 30000, items: [{ item_id: 'I' + ((i * 7919) % items) }] }));
  const warm = [];
  const floor = [];
  for (let i = 0; i < runs; i++) {
    history.push({ type: 'view_item', ts: Date.now(), items: [{ item_id: 'I' + ((i * 104729) % items) }] });
    let t0 = performance.now();
    await window.call('floor', items, 64);
    floor.push(performance.now() - t0);
    t0 = performance.now();
    const result = await window.call('recommend', history, { k: 10 });
    warm.push(performance.now() - t0);
    window.workerMs.push(result.ms);
    if (window.onnxCall) {
      t0 = performance.now();
      const peer = await window.onnxCall(window.onnxInput(history, 50));
      window.onnxMs.push(performance.now() - t0);
      window.onnxWorkerMs.push(peer.ms);
    }
  }
  return { warm, floor };
};
window.workerMs = [];
</script></body></html>`;

/** ONNX Runtime Web's wasm build as a shop would serve it: its loader, its runtime's glue and binary (compressed once a run). */
let ortFiles:
  | {
      ort: ReturnType<typeof compressOnce>;
      mjs: ReturnType<typeof compressOnce>;
      wasm: ReturnType<typeof compressOnce>;
    }
  | undefined;
function onnxRuntime() {
  const dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  const read = (name: string) => compressOnce(new Uint8Array(readFileSync(join(dist, name))));
  ortFiles ??= {
    ort: read('ort.wasm.min.mjs'),
    mjs: read('ort-wasm-simd-threaded.mjs'),
    wasm: read('ort-wasm-simd-threaded.wasm'),
  };
  return ortFiles;
}
const sumServed = (served: { path: string; length: number | null }[], test: (path: string) => boolean) =>
  served.filter((r) => test(r.path)).reduce((n, r) => n + (r.length ?? 0), 0);

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
};
const r1 = (x: number) => Math.round(x * 10) / 10;

export async function benchInference() {
  await useBackend('wasm');
  const results: Record<string, unknown>[] = [];
  const rows: Row[] = [];
  const failures: Record<string, unknown>[] = [];
  try {
    for (const arch of ARCHS_BENCHED)
      for (const items of SIZES) {
        const modelsDir = join(mkdtempSync(join(tmpdir(), 'aisle-bench-models-')), 'models');
        mkdirSync(modelsDir, { recursive: true });
        await syntheticModel(join(modelsDir, 'recommender'), items, undefined, undefined, arch);
        const network = arch === 'srgnn' ? 'SR-GNN, ' : arch === 'lightgcn' ? 'LightGCN, ' : '';
        const db = tempSqlite();
        const server = await startServer(db.storage, { modelsDir });
        const url = server.page(PAGE);
        // The peer's runtime and the same model as ONNX (its weights' bytes as Aisle ships them), from the same server.
        // Compressed before anything is timed: the edge compresses once, not while a device waits.
        // The peer runs SASRec's graph: it is beside the SASRec models only.
        const peered = arch === 'sasrec';
        const ort = onnxRuntime();
        const onnxModel = compressOnce(peered ? onnxOfModelDir(join(modelsDir, 'recommender')) : new Uint8Array(0), 9);
        await Promise.all([ort.ort, ort.mjs, ort.wasm, onnxModel]);
        // And Aisle's scripts, wasm and shards too: the edge compresses each on its first request (seconds
        // at Brotli's best for the inference script), once for every device after; no device should be timed on it.
        {
          const browser = await launch();
          const page = await browser.isolatedPage();
          await page.goto(url, { waitUntil: 'networkidle0' });
          await page.evaluate(async () => {
            const w = window as unknown as { startWorker(b: string): Promise<unknown>; stopWorker(): void };
            await w.startWorker('wasm');
            w.stopWorker();
          });
          await browser.close();
        }
        const onnxUrls = {
          ort: server.file(ort.ort, 'text/javascript; charset=utf-8'),
          mjs: server.file(ort.mjs, 'text/javascript; charset=utf-8'),
          wasm: server.file(ort.wasm, 'application/wasm'),
          // Compressed as the edge compresses model shards.
          model: server.file(onnxModel, 'application/octet-stream'),
        };
        try {
          for (const backend of BACKENDS) {
            // A browser of its own per run: a software WebGPU instance does not survive its neighbours' contexts closing.
            const browser = await launch();
            const page = await browser.isolatedPage();
            await page.goto(url, { waitUntil: 'networkidle0' });
            type W = Window & {
              startWorker(b: string): Promise<{ status: { backend: string | null }; ms: number }>;
              timeRecommend(runs: number, items: number): Promise<{ warm: number[]; floor: number[] }>;
              call(m: string, ...a: unknown[]): Promise<unknown>;
              stopWorker(): void;
              startOnnx(urls: Record<string, string>): Promise<number>;
              stopOnnx(): void;
              onnxMs: number[];
              onnxWorkerMs: number[];
              longTasks: { ms: number; phase: string }[];
              workerMs: number[];
            };
            let measured: Awaited<ReturnType<typeof measure>>;
            try {
              measured = await measure();
            } catch (error) {
              console.warn(
                `  ${network}${backend}, ${items} items: failed mid-run (${(error as Error).message.split('\n')[0]}); skipped`,
              );
              failures.push({ arch, backend, items, error: (error as Error).message.split('\n')[0] });
              await browser.close();
              continue;
            }
            await browser.close();
            if (!measured) {
              console.warn(`  ${backend}: does not start in this Chromium; skipped`);
              continue;
            }
            const { fromNetwork, first, warm, floor, fromCache, longTasks, workerMs, onnx } = measured;
            async function measure() {
              const from = server.served.length;
              const fromNetwork = await page.evaluate((b) => (window as unknown as W).startWorker(b), backend);
              if (fromNetwork.status.backend !== backend) return undefined;
              const aisleBytes = {
                runtime: sumServed(
                  server.served.slice(from),
                  (p) => p.startsWith('/aisle-infer') || p.startsWith('/aisle-wasm/'),
                ),
                model: sumServed(server.served.slice(from), (p) => p.startsWith('/v1/models/')),
              };
              // Beside wasm: the peer, loaded once Aisle's worker is up, then asked after each recommendation.
              let onnxLoadMs: number | undefined;
              const onnxFrom = server.served.length;
              if (backend === 'wasm' && peered)
                onnxLoadMs = await page.evaluate((u) => (window as unknown as W).startOnnx(u), onnxUrls);
              const onnxServed = server.served.slice(onnxFrom);
              const onnxBytes = {
                runtime: sumServed(onnxServed, (p) =>
                  [onnxUrls.ort, onnxUrls.mjs, onnxUrls.wasm].some((u) => u.endsWith(p)),
                ),
                model: sumServed(onnxServed, (p) => onnxUrls.model.endsWith(p)),
              };
              const {
                warm: [first],
              } = await page.evaluate((n) => (window as unknown as W).timeRecommend(1, n), items);
              const { warm, floor } = await page.evaluate(
                (runs, n) => (window as unknown as W).timeRecommend(runs, n),
                WARM_RUNS,
                items,
              );
              const after = (await page.evaluate(() => (window as unknown as W).call('status'))) as {
                backend: string | null;
                problems: string[];
              };
              if (after.backend !== backend) {
                throw new Error(`fell back to ${after.backend} mid-run (${after.problems.at(-1)})`);
              }
              await page.evaluate(() => (window as unknown as W).stopWorker());
              const fromCache = await page.evaluate((b) => (window as unknown as W).startWorker(b), backend);
              const longTasks = await page.evaluate(() => (window as unknown as W).longTasks);
              // The warm runs' time inside the worker (the first run's is dropped): the rest is the round trip.
              const workerMs = (await page.evaluate(() => (window as unknown as W).workerMs)).slice(1);
              await page.evaluate(() => (window as unknown as W).stopWorker());
              const onnx =
                onnxLoadMs === undefined
                  ? undefined
                  : await page.evaluate(
                      (load, bytes, aisle) => {
                        const w = window as unknown as W;
                        w.stopOnnx();
                        return {
                          loadMs: load,
                          first: w.onnxMs[0],
                          warm: w.onnxMs.slice(1),
                          worker: w.onnxWorkerMs.slice(1),
                          bytes,
                          aisle,
                        };
                      },
                      onnxLoadMs,
                      onnxBytes,
                      aisleBytes,
                    );
              return { fromNetwork, first, warm, floor, fromCache, longTasks, workerMs, onnx };
            }
            const result = {
              arch,
              backend,
              items,
              loadNetworkMs: r1(fromNetwork.ms),
              loadCacheMs: r1(fromCache.ms),
              firstMs: r1(first),
              warmP50: r1(pct(warm, 0.5)),
              warmP95: r1(pct(warm, 0.95)),
              floorP50: r1(pct(floor, 0.5)),
              floorP95: r1(pct(floor, 0.95)),
              workerP50: r1(pct(workerMs, 0.5)),
              workerP95: r1(pct(workerMs, 0.95)),
              longTasks: longTasks.length,
              longTaskPhases: longTasks,
              ...(onnx
                ? {
                    onnx: {
                      loadNetworkMs: r1(onnx.loadMs),
                      firstMs: r1(onnx.first),
                      warmP50: r1(pct(onnx.warm, 0.5)),
                      warmP95: r1(pct(onnx.warm, 0.95)),
                      workerP50: r1(pct(onnx.worker, 0.5)),
                      bytes: onnx.bytes,
                    },
                    aisleBytes: onnx.aisle,
                  }
                : {}),
            };
            results.push(result);
            console.error(`  ${JSON.stringify(result)}`);
            rows.push({
              metric: `${network}${backend}, ${items.toLocaleString('en')} items: warm p50 / p95 (first ${result.firstMs} ms; load ${result.loadNetworkMs} ms network, ${result.loadCacheMs} ms cache)`,
              value: result.warmP95,
              unit: `ms (p50 ${result.warmP50})`,
              reference: `floor p95 ${result.floorP95} ms (p50 ${result.floorP50}); target ≤ ${r1(3 * result.floorP95)} ms; long tasks ${result.longTasks}`,
              pass: result.warmP95 <= 3 * result.floorP95 && result.longTasks === 0,
            });
            if (onnx && result.onnx) {
              const kb = (b: number) => Math.round(b / 100) / 10;
              rows.push(
                {
                  metric: `peer: ONNX Runtime Web (wasm), ${items.toLocaleString('en')} items: the same encoder's top 10, warm p50 / p95 (first ${result.onnx.firstMs} ms; load ${result.onnx.loadNetworkMs} ms network)`,
                  value: result.onnx.warmP95,
                  unit: `ms (p50 ${result.onnx.warmP50})`,
                  reference: `Aisle on wasm, same requests interleaved: p95 ${result.warmP95} ms (p50 ${result.warmP50}), load ${result.loadNetworkMs} ms`,
                },
                {
                  metric: `peer: ONNX Runtime Web, ${items.toLocaleString('en')} items: bytes for the runtime (scripts and wasm) / the model (Aisle's: with its neighbour and content tables), compressed as served`,
                  value: kb(onnx.bytes.runtime),
                  unit: `KB / ${kb(onnx.bytes.model)} KB`,
                  reference: `Aisle: ${kb(onnx.aisle.runtime)} KB / ${kb(onnx.aisle.model)} KB`,
                },
              );
            }
          }
        } finally {
          await server.close();
          db.remove();
        }
      }
  } finally {
    // every browser is closed where it was opened
  }
  report(
    // A subset's numbers beside the full run's, not over them.
    subset ? `inference-${subset}` : 'inference',
    'On-device recommendation in headless Chromium (2 cores, WebGPU on a software adapter): top-10 after a history of 20 items growing by one per request, synthetic models of each size and network (SASRec; SR-GNN, its rows marked), each request right after a floor product',
    rows,
    { results, failures },
  );
  for (const f of failures) console.log(`${f.arch} ${f.backend}, ${f.items} items: failed mid-run: ${f.error}`);
}
