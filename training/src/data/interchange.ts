/**
 * @module training/data/interchange — reads the interchange file (CSV or NDJSON) that the `aisle`
 * CLI trains on: `user_id,item_id,type,ts` required, `session_id,price,quantity,category,device` optional.
 */
import { extname } from 'node:path';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { parse } from 'csv-parse/sync';
import { DataError } from './errors';
import { readText } from './read-text';

export type { Interaction };

export const REQUIRED_COLUMNS = ['user_id', 'item_id', 'type', 'ts'] as const;
export const OPTIONAL_COLUMNS = ['session_id', 'price', 'quantity', 'category', 'device'] as const;

/** Unix seconds below this, unix milliseconds from it on: 1e11 s is the year 5138, 1e11 ms is 1973. */
const SECONDS_BELOW = 1e11;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Milliseconds since 1970 from ISO 8601 text, unix seconds or unix milliseconds, or undefined when
 * the value is none of those. A number is taken as seconds when it is below 1e11.
 */
export function parseTs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? toMs(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return toMs(Number(text));
  if (!ISO_8601.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

const toMs = (n: number) => Math.round(n < SECONDS_BELOW ? n * 1000 : n);

/** Which format a file is in: by its extension, else by its first character. */
export function detectFormat(file: string, text: string): 'csv' | 'ndjson' {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  return text.trimStart().startsWith('{') ? 'ndjson' : 'csv';
}

/** One row that cannot be read: `reason` is what rows with the same problem share. */
class RowError extends DataError {
  constructor(
    readonly where: string,
    readonly reason: string,
    detail = '',
    message = `${reason}${detail}`,
  ) {
    super(`${where}: ${message}`);
  }
}

/** Rows left out, by reason, each with the first place it happened. */
export type Dropped = Map<string, { count: number; first: string }>;

export function countDrop(dropped: Dropped, reason: string, where: string): void {
  const seen = dropped.get(reason);
  if (seen) seen.count++;
  else dropped.set(reason, { count: 1, first: where });
}

/**
 * Every valid interaction in `file`, sorted by time; interactions with equal `ts` keep their order
 * in the file. A row with a missing or malformed value is left out and counted in `dropped`; a file
 * that is not interchange data at all (a required column missing, not CSV, or at least half its
 * rows unreadable) is a `DataError` naming the file, line and column of the first problem.
 */
export function readInteractions(file: string, dropped: Dropped = new Map()): Interaction[] {
  const text = readText(file);
  const records = detectFormat(file, text) === 'csv' ? csvRecords(file, text) : ndjsonRecords(file, text);
  const rows: Interaction[] = [];
  let firstProblem: DataError | undefined;
  let bad = 0;
  for (const { line, record, problem } of records) {
    try {
      if (problem) throw problem;
      rows.push(toInteraction(file, line, record));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      firstProblem ??= error;
      bad++;
      countDrop(dropped, error.reason, error.where);
    }
  }
  if (firstProblem && bad * 2 >= records.length) throw firstProblem;
  if (!rows.length) throw new DataError(`${file}: no events`);
  return sortByTime(rows);
}

/** Sorted by `ts`, stable: equal times keep their order. */
export function sortByTime<T extends { ts: number }>(rows: T[]): T[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => a.row.ts - b.row.ts || a.i - b.i)
    .map(({ row }) => row);
}

type RawRecord = Record<string, unknown>;

function csvRecords(file: string, text: string): FileRecord[] {
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let parsed: { record: RawRecord; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      delimiter,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    });
  } catch (error) {
    throw new DataError(`${file}: not valid CSV: ${(error as Error).message}`);
  }
  const columns = parsed.length ? Object.keys(parsed[0].record) : headerOf(text, delimiter);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) {
    throw new DataError(
      `${file}: missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${columns.join(', ') || 'none'})`,
    );
  }
  return parsed.map(({ record, info }) => ({ line: info.lines, record }));
}

const headerOf = (text: string, delimiter: string) =>
  (text.split('\n')[0] ?? '')
    .replace(/^\uFEFF/, '')
    .split(delimiter)
    .map((c) => c.trim())
    .filter(Boolean);

interface FileRecord {
  line: number;
  record: RawRecord;
  /** Why the line could not be read at all. */
  problem?: DataError;
}

function ndjsonRecords(file: string, text: string): FileRecord[] {
  const out: FileRecord[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, i) => {
      if (!raw.trim()) return;
      let record: unknown;
      try {
        record = JSON.parse(raw);
      } catch (error) {
        const problem = new RowError(`${file}:${i + 1}`, 'not valid JSON', `: ${(error as Error).message}`);
        out.push({ line: i + 1, record: {}, problem });
        return;
      }
      if (!record || typeof record !== 'object' || Array.isArray(record)) {
        out.push({
          line: i + 1,
          record: {},
          problem: new RowError(`${file}:${i + 1}`, 'expected a JSON object per line'),
        });
        return;
      }
      out.push({ line: i + 1, record: record as RawRecord });
    });
  return out;
}

function toInteraction(file: string, line: number, r: RawRecord): Interaction {
  const where = `${file}:${line}`;
  const text = (column: string, required: boolean): string | undefined => {
    const v = r[column];
    if (v === undefined || v === null || v === '') {
      if (required) throw new RowError(where, `${column} is required`);
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new RowError(where, `${column} must be text`, `, got ${JSON.stringify(v)}`);
    }
    return String(v);
  };
  const number = (column: string): number | undefined => {
    const v = r[column];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
    if (!Number.isFinite(n)) throw new RowError(where, `${column} must be a number`, `, got ${JSON.stringify(v)}`);
    return n;
  };
  const rawTs = r.ts;
  if (rawTs === undefined || rawTs === null || rawTs === '') throw new RowError(where, 'ts is required');
  const ts = parseTs(rawTs);
  if (ts === undefined) {
    throw new RowError(
      where,
      'ts is not ISO 8601, unix seconds or unix milliseconds',
      '',
      `ts ${JSON.stringify(rawTs)} is not ISO 8601, unix seconds or unix milliseconds`,
    );
  }
  const row: Interaction = {
    user_id: text('user_id', true) as string,
    item_id: text('item_id', false) ?? '',
    type: text('type', true) as string,
    ts,
  };
  const session = text('session_id', false);
  const category = text('category', false);
  const device = text('device', false);
  const price = number('price');
  const quantity = number('quantity');
  if (session !== undefined) row.session_id = session;
  if (price !== undefined) row.price = price;
  if (quantity !== undefined) row.quantity = quantity;
  if (category !== undefined) row.category = category;
  if (device !== undefined) row.device = device.toLowerCase();
  return row;
}
