/**
 * @module infer/backend — picks the TensorFlow.js backend that is fastest on this device. WebGPU on
 * a hardware adapter is taken at once; a software (fallback) adapter is slower than wasm (see
 * ../shared/WEBGPU.md), so otherwise every backend that starts is timed briefly on work shaped like
 * a recommendation, the fastest kept, and the choice remembered for this browser. A forced backend
 * (`data-backend`) is used as is when it starts. Each backend's code is fetched only when it is tried.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, InferStatus } from './protocol';

export const BACKENDS: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

/** Where the wasm backend fetches its binaries: the edge that served the script. */
let wasmBase: string | undefined;
export function setWasmBase(url: string) {
  wasmBase = url;
}

/** Whether the wasm backend may start a pool of threads where the host offers shared memory. */
let wasmThreads = true;
export function allowWasmThreads(allowed: boolean) {
  wasmThreads = allowed;
}

/**
 * Each backend's code, fetched the first time this device tries it; the CPU backend is always there.
 * A device that remembers its choice fetches that one backend's code and no other.
 */
const LOADERS: Record<BackendName, () => Promise<void>> = {
  webgpu: async () => {
    await import('./backends/webgpu');
  },
  webgl: async () => {
    await import('./backends/webgl');
  },
  wasm: async () => {
    const { setWasmPaths } = await import('./backends/wasm');
    if (wasmBase) setWasmPaths(wasmBase);
    // The backend registers the flag as it loads: only then can it be set.
    if (!wasmThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  },
  cpu: async () => {},
};

/** Whether the browser could give this worker a WebGL context at all: if not, the backend's code is not worth fetching. */
function webglOffered(): boolean {
  try {
    if (typeof OffscreenCanvas === 'undefined') return false;
    const canvas = new OffscreenCanvas(1, 1);
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

type GpuAdapter = {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
};

/** The adapter, asked once: what the browser offers does not change while the worker runs. */
let adapterAsked: Promise<boolean | undefined> | undefined;

/**
 * Whether the browser offers WebGPU on real hardware (not SwiftShader or another software
 * adapter); undefined when it offers no adapter at all.
 */
export const hardwareGpu = (): Promise<boolean | undefined> => {
  adapterAsked ??= askAdapter();
  return adapterAsked;
};

async function askAdapter(): Promise<boolean | undefined> {
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return undefined;
  try {
    const adapter = (await gpu.requestAdapter()) as GpuAdapter | null;
    if (!adapter) return undefined;
    if (adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter) return false;
    const name = `${adapter.info?.vendor ?? ''} ${adapter.info?.architecture ?? ''} ${adapter.info?.description ?? ''}`;
    return !/swiftshader|llvmpipe|lavapipe|software/i.test(name);
  } catch {
    return undefined;
  }
}

/** `MatMulProgramType.MatMulPackedProgram` of @tensorflow/tfjs-backend-webgpu, which does not export the enum. */
const PACKED_MATMUL = 3;

/**
 * Starts `name`; false when it cannot start here. WebGPU is not even tried without an adapter:
 * TF.js would log its failed start into the merchant's console on every page.
 */
export async function tryBackend(name: BackendName): Promise<boolean> {
  if (name === 'webgpu' && (await hardwareGpu()) === undefined) return false;
  if (name === 'webgl' && !webglOffered()) return false;
  try {
    await LOADERS[name]();
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    // A backend that registers but cannot run one op is no backend.
    const t = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
    const v = (await t.data())[0];
    t.dispose();
    // On a software adapter, the matrix products TF.js gives a workgroup-wide reduction (tiny
    // outputs: one row of the model) are the slowest thing it runs — ~40 ms for 1 × 64 · 64 × 64,
    // measured in SwiftShader — so every product takes the tiled program there.
    if (name === 'webgpu' && (await hardwareGpu()) === false) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', PACKED_MATMUL);
    return v === 2;
  } catch {
    return false;
  }
}

/** Milliseconds per recommendation-shaped inference (a [1 × dim] · [dim × items] product and a top-k), median of 5. */
async function timeOne(items: number, dim: number): Promise<number> {
  const table = tf.randomNormal([dim, items]);
  const run = async () => {
    const query = tf.randomNormal([1, dim]);
    const scores = tf.matMul(query, table);
    const { values, indices } = tf.topk(scores, 10);
    await indices.data();
    tf.dispose([query, scores, values, indices]);
  };
  try {
    await run(); // warm-up: compile shaders, allocate
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[2];
  } finally {
    table.dispose();
  }
}

/** The floor's item table, kept between calls for the same shape on the same backend. */
let floorTable: { key: string; table: tf.Tensor2D } | undefined;

/**
 * The floor a recommendation's latency is judged against: one bare [1 × dim] · [dim × items]
 * product read back to JavaScript on the current backend, the way the models read back
 * (asynchronously). The benchmark times it from the page, round trip included, like a recommendation.
 */
export async function matVecOnce(items: number, dim: number): Promise<void> {
  const key = `${tf.getBackend()} ${items} ${dim}`;
  if (floorTable?.key !== key) {
    floorTable?.table.dispose();
    floorTable = { key, table: tf.randomNormal([dim, items]) };
  }
  const { table } = floorTable;
  const out = tf.tidy(() => tf.matMul(tf.randomNormal([1, dim]), table));
  await out.data();
  out.dispose();
}

export interface Choice {
  backend: BackendName | null;
  how: NonNullable<InferStatus['backendChoice']>['how'];
  timings?: Record<string, number>;
  /** Backends that were tried and would not start on this device (WebGPU without an adapter, for one). */
  unavailable?: BackendName[];
}

/**
 * `calibrate: false` (a page's first visit, nothing remembered): wasm, else CPU, at once, instead of
 * fetching and timing every backend before the first recommendation; the page calibrates afterwards.
 */
export async function chooseBackend(
  forced: BackendName | undefined,
  remembered: BackendName | undefined,
  shape: { items: number; dim: number },
  { calibrate = true } = {},
): Promise<Choice> {
  const unavailable = new Set<BackendName>();
  const start = async (name: BackendName) => {
    if (await tryBackend(name)) return true;
    unavailable.add(name);
    return false;
  };
  const done = (choice: Choice): Choice => (unavailable.size ? { ...choice, unavailable: [...unavailable] } : choice);
  if (forced && (await start(forced))) return done({ backend: forced, how: 'forced' });
  if ((await hardwareGpu()) && (await start('webgpu'))) return done({ backend: 'webgpu', how: 'hardware-gpu' });
  if (remembered && (await start(remembered))) return done({ backend: remembered, how: 'remembered' });
  if (!calibrate)
    for (const name of ['wasm', 'cpu'] as const)
      if (await start(name)) return done({ backend: name, how: 'first-visit' });
  const timings: Record<string, number> = {};
  for (const name of BACKENDS) {
    if (!(await start(name))) continue;
    try {
      timings[name] = Math.round((await timeOne(shape.items, shape.dim)) * 100) / 100;
    } catch {
      // a backend that fails mid-calibration is not a candidate
    }
  }
  const ranked = Object.entries(timings).sort((a, b) => a[1] - b[1]);
  for (const [name] of ranked)
    if (await start(name as BackendName)) return done({ backend: name as BackendName, how: 'calibrated', timings });
  return done({ backend: null, how: 'fallback', timings });
}
