/** @module training/data/table — a customer table (CSV with a header), as merchants export it from a CRM. */

import type { TableRow } from '@aisle/shared-models/features/tabular';
import { parse } from 'csv-parse/sync';
import { DataError } from './errors';
import { readText } from './read-text';

export interface Table {
  columns: string[];
  rows: TableRow[];
}

export function readTable(file: string): Table {
  const text = readText(file);
  const header = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter =
    header.includes('\t') && !header.includes(',') ? '\t' : header.includes(';') && !header.includes(',') ? ';' : ',';
  let rows: TableRow[];
  let columns: string[] = [];
  try {
    rows = parse(text, {
      columns: (h: string[]) => {
        columns = h.map((c) => c.trim());
        return columns;
      },
      delimiter,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
    });
  } catch (error) {
    throw new DataError(`${file}: not valid CSV: ${(error as Error).message}`);
  }
  if (!rows.length) throw new DataError(`${file}: no rows`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new DataError(`${file}: column ${c} appears twice`);
    seen.add(c);
  }
  return { columns, rows };
}

/** `name` itself when the table has it; otherwise a `DataError` that lists what it has. */
export function requireColumn(table: Table, name: string, what: string): string {
  if (!table.columns.includes(name)) {
    throw new DataError(`unknown ${what} column ${name} (columns: ${table.columns.join(', ')})`);
  }
  return name;
}
