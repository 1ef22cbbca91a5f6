/** @module test/bench/report — prints a benchmark's table and writes its JSON next to the others. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../../training/src/table';

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export interface Row {
  metric: string;
  value: number;
  unit: string;
  /** What the value is compared with: a target from the issue or a baseline measured in the same run. */
  reference?: string;
  pass?: boolean;
}

export function report(name: string, title: string, rows: Row[], extra: Record<string, unknown> = {}) {
  const cells = rows.map((r) => [
    r.metric,
    `${Number.isInteger(r.value) ? r.value : r.value.toFixed(r.value < 1 ? 4 : 2)} ${r.unit}`,
    r.reference ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  console.log(`\n${title}\n${formatTable(['metric', 'value', 'reference', 'meets target'], cells)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(
    file,
    `${JSON.stringify({ name, title, at: new Date().toISOString(), machine, rows, ...extra }, null, 2)}\n`,
  );
  console.log(`(written to ${file})`);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The seeds every benchmark that trains runs with (42 first: the CLI's default, what a merchant gets): a claimed gain must be larger than the spread over them. */
export const SEEDS = [42, 1, 2, 3, 4] as const;

/** Mean and sample standard deviation. */
export function spread(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** `0.9927 ± 0.0031` (four decimals), for a metric over the seeds. */
export const plusMinus = (xs: readonly number[]) => {
  const { mean, sd } = spread(xs);
  return `${mean.toFixed(4)} ± ${sd.toFixed(4)}`;
};

/** Shops a benchmark's variable `env` names (comma-separated, part of each name), or undefined for all. */
export const shopsIn = (env: string | undefined): string[] | undefined => env?.toLowerCase().split(',');

/** Whether a benchmark runs the shop named `name`: every shop, unless `only` names some. */
export const shopWanted = (name: string, only: readonly string[] | undefined): boolean =>
  !only || only.some((o) => name.toLowerCase().includes(o));

/** The values of `all` an environment variable lists (comma-separated), or all of them where it is unset. */
export const pick = <T extends string | number>(all: readonly T[], env: string | undefined): T[] =>
  env ? all.filter((x) => env.split(',').includes(String(x))) : [...all];
