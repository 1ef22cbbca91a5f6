/**
 * @module shared-models/features/tabular — turns a table's rows (as a CRM exports them: numbers,
 * categories, blanks) into model inputs. The fitted parameters are plain JSON that travels in the
 * model's manifest, so the trainer and every scorer encode a row the same way.
 */

/** A numeric column: blanks filled with the median, skewed counts log-scaled, outliers clipped, then standardised. */
export interface NumericColumn {
  name: string;
  kind: 'numeric';
  /** `log1p` for non-negative columns with a long tail (durations, counts, money). */
  transform: 'none' | 'log1p';
  /** Clipping bounds after the transform: the 1st and 99th percentiles of the training rows. */
  lo: number;
  hi: number;
  mean: number;
  std: number;
  /** The value a blank takes (the training median, before the transform). */
  fill: number;
}

/** A categorical column: one input per value seen in training, plus one for anything else (blank included). */
export interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  /** Values in input order; input 0 of the column is the out-of-vocabulary bucket. */
  values: string[];
}

export type TabularColumn = NumericColumn | CategoricalColumn;

export interface TabularSchema {
  /** Bumped whenever encoding changes meaning: a model trained on one version refuses another. */
  version: typeof TABULAR_SCHEMA_VERSION;
  columns: TabularColumn[];
}

export const TABULAR_SCHEMA_VERSION = 1;

export type TableRow = Record<string, string | undefined>;

const isBlank = (v: string | undefined) => v === undefined || v.trim() === '';

/** A finite number from a cell, or undefined for blanks and text. */
export function numericValue(v: string | undefined): number | undefined {
  if (isBlank(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] : 0;

/**
 * Fits the encoding of `columns` on `rows`. A column is numeric when every non-blank cell is a
 * number, unless it is listed in `categorical` (codes such as a region number are categories).
 */
export function fitTabular(
  rows: readonly TableRow[],
  columns: readonly string[],
  categorical: ReadonlySet<string> = new Set(),
): TabularSchema {
  return {
    version: TABULAR_SCHEMA_VERSION,
    columns: columns.map((name): TabularColumn => {
      const cells = rows.map((r) => r[name]);
      const present = cells.filter((v) => !isBlank(v)) as string[];
      const numbers = present.map((v) => numericValue(v));
      if (!categorical.has(name) && present.length && numbers.every((n) => n !== undefined)) {
        return fitNumeric(name, numbers as number[]);
      }
      const counts = new Map<string, number>();
      for (const v of present) counts.set(v.trim(), (counts.get(v.trim()) ?? 0) + 1);
      // Most frequent first; values seen once stay out and share the bucket with unseen ones.
      const values = [...counts].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      return { name, kind: 'categorical', values: values.map(([v]) => v) };
    }),
  };
}

function fitNumeric(name: string, values: number[]): NumericColumn {
  const sorted = [...values].sort((a, b) => a - b);
  const fill = quantile(sorted, 0.5);
  const longTail = sorted[0] >= 0 && quantile(sorted, 0.99) > 10 * (fill + 1);
  const transform = longTail ? 'log1p' : 'none';
  const t = transform === 'log1p' ? sorted.map(Math.log1p) : sorted;
  const lo = quantile(t, 0.01);
  const hi = quantile(t, 0.99);
  const clipped = t.map((v) => Math.min(hi, Math.max(lo, v)));
  const mean = clipped.reduce((s, v) => s + v, 0) / clipped.length;
  const variance = clipped.reduce((s, v) => s + (v - mean) ** 2, 0) / clipped.length;
  return { name, kind: 'numeric', transform, lo, hi, mean, std: Math.sqrt(variance) || 1, fill };
}

/** Inputs per column: one per numeric column, bucket plus values per categorical one. */
const width = (c: TabularColumn) => (c.kind === 'numeric' ? 1 : c.values.length + 1);

export const inputSize = (schema: TabularSchema) => schema.columns.reduce((n, c) => n + width(c), 0);

/** Each input's name: the column, or `column=value` for a category (`column=?` for its bucket). */
export function inputNames(schema: TabularSchema): string[] {
  return schema.columns.flatMap((c) =>
    c.kind === 'numeric' ? [c.name] : [`${c.name}=?`, ...c.values.map((v) => `${c.name}=${v}`)],
  );
}

/** The first input of each column, and how many it has: to switch a whole column off when explaining a score. */
export function columnSpans(schema: TabularSchema): { name: string; start: number; width: number }[] {
  let start = 0;
  return schema.columns.map((c) => {
    const span = { name: c.name, start, width: width(c) };
    start += span.width;
    return span;
  });
}

/** Encodes `rows` into one flat row-major array of `rows.length × inputSize(schema)` values. */
export function encodeRows(schema: TabularSchema, rows: readonly TableRow[]): Float32Array {
  const size = inputSize(schema);
  const out = new Float32Array(rows.length * size);
  rows.forEach((row, r) => {
    let at = r * size;
    for (const c of schema.columns) {
      const cell = row[c.name];
      if (c.kind === 'numeric') {
        const raw = numericValue(cell) ?? c.fill;
        const v = c.transform === 'log1p' ? Math.log1p(Math.max(0, raw)) : raw;
        out[at++] = (Math.min(c.hi, Math.max(c.lo, v)) - c.mean) / c.std;
      } else {
        const k = isBlank(cell) ? -1 : c.values.indexOf((cell as string).trim());
        out[at + k + 1] = 1;
        at += c.values.length + 1;
      }
    }
  });
  return out;
}
