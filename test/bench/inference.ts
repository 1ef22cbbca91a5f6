/**
 * @module test/bench/inference — on-device inference in Chromium, per backend that starts here:
 * model load time from the network and from IndexedDB, first and warm latency (p50/p95) of a
 * top-10 recommendation over catalogues of 1k, 10k and 100k items, next to the floor — a bare
 * [1 × 64] · [64 × items] product on the same backend, asked of the worker and read back the same
 * way, round trip included, each request right after one — and the main-thread long tasks while it runs.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../../training/src/backend';
import { launch } from '../helpers/browser';
import { startServer, tempSqlite } from '../helpers/server';
import { syntheticModel } from '../helpers/synthetic-model';
import { type Row, report } from './report';

/** Every size and backend by default; `AISLE_BENCH_SIZES=1000,10000` and `AISLE_BENCH_BACKENDS=wasm,cpu` run a subset. */
export const pick = <T extends string | number>(all: readonly T[], env: string | undefined): T[] =>
  env ? all.filter((x) => env.split(',').includes(String(x))) : [...all];
const SIZES = pick([1000, 10_000, 100_000], process.env.AISLE_BENCH_SIZES);
const BACKENDS = pick(['wasm', 'webgpu', 'webgl', 'cpu'] as const, process.env.AISLE_BENCH_BACKENDS);
const WARM_RUNS = 60;

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
  }
  return { warm, floor };
};
window.workerMs = [];
</script></body></html>`;

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
    for (const items of SIZES) {
      const modelsDir = join(mkdtempSync(join(tmpdir(), 'aisle-bench-models-')), 'models');
      mkdirSync(modelsDir, { recursive: true });
      await syntheticModel(join(modelsDir, 'recommender'), items);
      const db = tempSqlite();
      const server = await startServer(db.storage, { modelsDir });
      const url = server.page(PAGE);
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
            longTasks: { ms: number; phase: string }[];
            workerMs: number[];
          };
          let measured: Awaited<ReturnType<typeof measure>>;
          try {
            measured = await measure();
          } catch (error) {
            console.warn(
              `  ${backend}, ${items} items: failed mid-run (${(error as Error).message.split('\n')[0]}); skipped`,
            );
            failures.push({ backend, items, error: (error as Error).message.split('\n')[0] });
            await browser.close();
            continue;
          }
          await browser.close();
          if (!measured) {
            console.warn(`  ${backend}: does not start in this Chromium; skipped`);
            continue;
          }
          const { fromNetwork, first, warm, floor, fromCache, longTasks, workerMs } = measured;
          async function measure() {
            const fromNetwork = await page.evaluate((b) => (window as unknown as W).startWorker(b), backend);
            if (fromNetwork.status.backend !== backend) return undefined;
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
            return { fromNetwork, first, warm, floor, fromCache, longTasks, workerMs };
          }
          const result = {
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
          };
          results.push(result);
          console.error(`  ${JSON.stringify(result)}`);
          rows.push({
            metric: `${backend}, ${items.toLocaleString('en')} items: warm p50 / p95 (first ${result.firstMs} ms; load ${result.loadNetworkMs} ms network, ${result.loadCacheMs} ms cache)`,
            value: result.warmP95,
            unit: `ms (p50 ${result.warmP50})`,
            reference: `floor p95 ${result.floorP95} ms (p50 ${result.floorP50}); target ≤ ${r1(3 * result.floorP95)} ms; long tasks ${result.longTasks}`,
            pass: result.warmP95 <= 3 * result.floorP95 && result.longTasks === 0,
          });
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
    'inference',
    'On-device recommendation in headless Chromium (2 cores, WebGPU on a software adapter): top-10 after a history of 20 items growing by one per request, synthetic models of each size, each request right after a floor product',
    rows,
    { results, failures },
  );
  for (const f of failures) console.log(`${f.backend}, ${f.items} items: failed mid-run: ${f.error}`);
}
