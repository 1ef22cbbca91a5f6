/**
 * @module training/data/invoices — a shop's invoice-line export (InvoiceNo, StockCode, Quantity,
 * InvoiceDate, UnitPrice, CustomerID, as the UCI Online Retail year and many shop systems write
 * it) as interactions: each line a `purchase` of its item by its customer, a cancelled invoice
 * ("C…") or a negative quantity a `refund`. Lines without a customer, non-product codes (postage,
 * manual adjustments, bank charges: codes that do not start with five digits) and lines with no
 * price are left out, and counted.
 */
import { parse } from 'csv-parse/sync';
import { DataError } from './errors';
import { countDrop, type Dropped, type Interaction, sortByTime } from './interchange';
import { readText } from './read-text';

export const INVOICE_COLUMNS = [
  'InvoiceNo',
  'StockCode',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
] as const;

const PRODUCT_CODE = /^\d{5}/;

/** Whether a CSV header is an invoice-line export's (a byte-order mark, quotes, spaces and CR allowed). */
export const isInvoiceHeader = (header: string) => {
  const names = header
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((c) => c.replace(/"/g, '').trim());
  return INVOICE_COLUMNS.every((c) => names.includes(c));
};

/**
 * An invoice date as the exports write it: ISO (`2010-12-01 08:26:00`) or the month-first form of
 * the spreadsheet export (`12/1/2010 8:26`), shop-local time read as UTC; NaN otherwise.
 */
export function invoiceDate(text: string): number {
  const t = text.trim();
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (us) {
    const [, month, day, year, hour = '0', minute = '0', second = '0'] = us;
    return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  }
  return /^\d{4}-\d{2}-\d{2}/.test(t)
    ? Date.parse(`${t.replace(' ', 'T')}${/[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? '' : 'Z'}`)
    : Number.NaN;
}

/** The interactions of an invoice-line CSV, in time order; what was left out counted in `dropped`. */
export function readInvoiceLines(file: string, dropped: Dropped = new Map()): Interaction[] {
  const text = readText(file);
  let rows: Record<string, string>[];
  try {
    rows = parse(text, {
      columns: (header: string[]) => header.map((c) => c.trim()),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    });
  } catch (error) {
    throw new DataError(`${file}: not valid CSV: ${(error as Error).message}`);
  }
  const out: Interaction[] = [];
  for (const [i, r] of rows.entries()) {
    const where = `${file}:${i + 2}`;
    const customer = r.CustomerID?.trim().replace(/\.0$/, '');
    if (!customer) {
      countDrop(dropped, 'no customer', where);
      continue;
    }
    const code = r.StockCode?.trim() ?? '';
    if (!PRODUCT_CODE.test(code)) {
      countDrop(dropped, 'not a product (postage, fees, adjustments)', where);
      continue;
    }
    const price = Number(r.UnitPrice);
    const quantity = Number(r.Quantity);
    const ts = invoiceDate(r.InvoiceDate ?? '');
    if (!(price > 0) || !Number.isFinite(quantity) || quantity === 0 || !Number.isFinite(ts)) {
      countDrop(dropped, 'no price, quantity or date', where);
      continue;
    }
    const refund = quantity < 0 || (r.InvoiceNo ?? '').trim().startsWith('C');
    out.push({
      user_id: customer,
      item_id: code,
      type: refund ? 'refund' : 'purchase',
      ts,
      price,
      quantity: Math.abs(quantity),
    });
  }
  // A file whose lines mostly cannot be read is not this format, or not this shop's dates: say so.
  const unreadable = dropped.get('no price, quantity or date')?.count ?? 0;
  if (rows.length && unreadable * 2 >= rows.length)
    throw new DataError(
      `${file}: ${unreadable} of ${rows.length} invoice lines have no readable price, quantity or date (first: ${dropped.get('no price, quantity or date')?.first}); dates must read like 2010-12-01 08:26 or 12/1/2010 8:26`,
    );
  if (!out.length) throw new DataError(`${file}: no invoice line with a customer and a product`);
  return sortByTime(out);
}
