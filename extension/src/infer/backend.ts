/**
 * @module infer/backend — picks the TensorFlow.js backend that is fastest on this device. WebGPU on
 * a hardware adapter is taken at once; a software (fallback) adapter is slower than wasm (see
 * ../shared/WEBGPU.md), so otherwise every backend that starts is timed briefly on work shaped like
 * a recommendation, the fastest kept, and the choice remembered for this browser. A forced backend
 * (`data-backend`) is used as is when it starts.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, InferStatus } from './protocol';

export const BACKENDS: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

type GpuAdapter = {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
};

/** Whether the browser offers WebGPU on real hardware (not SwiftShader or another software adapter). */
export async function hardwareGpu(): Promise<boolean | undefined> {
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

/** Starts `name`; false when it cannot start here. */
export async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    // A backend that registers but cannot run one op is no backend.
    const t = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
    const v = (await t.data())[0];
    t.dispose();
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

/**
 * The floor a recommendation's latency is judged against: `runs` bare [1 × dim] · [dim × items]
 * products read back to JavaScript, on the current backend, after one warm-up; each run's ms.
 */
export async function matVecTimes(items: number, dim: number, runs: number): Promise<number[]> {
  const table = tf.randomNormal([dim, items]);
  // Read back the way the models read back (asynchronously), so the floor and the model pay the same.
  const once = async () => {
    const query = tf.randomNormal([1, dim]);
    const out = tf.matMul(query, table);
    await out.data();
    tf.dispose([query, out]);
  };
  try {
    await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    table.dispose();
  }
}

export interface Choice {
  backend: BackendName | null;
  how: NonNullable<InferStatus['backendChoice']>['how'];
  timings?: Record<string, number>;
}

export async function chooseBackend(
  forced: BackendName | undefined,
  remembered: BackendName | undefined,
  shape: { items: number; dim: number },
): Promise<Choice> {
  if (forced && (await tryBackend(forced))) return { backend: forced, how: 'forced' };
  if ((await hardwareGpu()) && (await tryBackend('webgpu'))) return { backend: 'webgpu', how: 'hardware-gpu' };
  if (remembered && (await tryBackend(remembered))) return { backend: remembered, how: 'remembered' };
  const timings: Record<string, number> = {};
  for (const name of BACKENDS) {
    if (!(await tryBackend(name))) continue;
    try {
      timings[name] = Math.round((await timeOne(shape.items, shape.dim)) * 100) / 100;
    } catch {
      // a backend that fails mid-calibration is not a candidate
    }
  }
  const ranked = Object.entries(timings).sort((a, b) => a[1] - b[1]);
  for (const [name] of ranked)
    if (await tryBackend(name as BackendName)) return { backend: name as BackendName, how: 'calibrated', timings };
  return { backend: null, how: 'fallback', timings };
}
