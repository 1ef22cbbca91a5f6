import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dropped } from './interchange';
import { invoiceDate, isInvoiceHeader, readInvoiceLines } from './invoices';
import { loadInteractions } from './source';

const dir = mkdtempSync(join(tmpdir(), 'aisle-invoices-'));
// The dirt a shop's export has: a cancellation, a return, postage, a bad-debt adjustment, a line
// without a customer, a description with a comma, a CustomerID written as a float.
const EXPORT = `"InvoiceNo","StockCode","Description","Quantity","InvoiceDate","UnitPrice","CustomerID","Country"
"536365","85123A","WHITE HANGING HEART T-LIGHT HOLDER",6,"2010-12-01 08:26:00",2.55,17850,"United Kingdom"
"536366","22633","HAND WARMER, UNION JACK",6,"2010-12-01 08:28:00",1.85,17850.0,"United Kingdom"
"C536379","D","Discount",-1,"2010-12-01 09:41:00",27.5,14527,"United Kingdom"
"C536383","35004C","SET OF 3 COLOURED  FLYING DUCKS",-1,"2010-12-01 09:49:00",4.65,15311,"United Kingdom"
"536370","POST","POSTAGE",3,"2010-12-01 08:45:00",18,12583,"France"
"A563185","B","Adjust bad debt",1,"2011-08-12 14:50:00",11062.06,,"United Kingdom"
"536414","22139","",56,"2010-12-01 11:52:00",0,,"United Kingdom"
"536544","21773","DECORATIVE ROSE BATHROOM BOTTLE",1,"2010-12-01 14:32:00",2.51,,"United Kingdom"
"536367","84879","ASSORTED COLOUR BIRD ORNAMENT",32,"2010-12-01 08:34:00",0,13047,"United Kingdom"
`;

describe('an invoice-line export', () => {
  const file = join(dir, 'export.csv');
  writeFileSync(file, EXPORT);

  it('becomes purchases and refunds by customer, the rest left out and counted', () => {
    const dropped: Dropped = new Map();
    const rows = readInvoiceLines(file, dropped);
    expect(rows).toEqual([
      {
        user_id: '17850',
        item_id: '85123A',
        type: 'purchase',
        ts: Date.UTC(2010, 11, 1, 8, 26),
        price: 2.55,
        quantity: 6,
      },
      {
        user_id: '17850',
        item_id: '22633',
        type: 'purchase',
        ts: Date.UTC(2010, 11, 1, 8, 28),
        price: 1.85,
        quantity: 6,
      },
      {
        user_id: '15311',
        item_id: '35004C',
        type: 'refund',
        ts: Date.UTC(2010, 11, 1, 9, 49),
        price: 4.65,
        quantity: 1,
      },
    ]);
    expect(Object.fromEntries([...dropped].map(([reason, d]) => [reason, d.count]))).toEqual({
      'not a product (postage, fees, adjustments)': 2,
      'no customer': 3,
      'no price, quantity or date': 1,
    });
  });

  it('is recognised by its header wherever a command reads --events', async () => {
    expect(isInvoiceHeader(EXPORT.split('\n')[0])).toBe(true);
    expect(isInvoiceHeader('user_id,item_id,type,ts')).toBe(false);
    const rows = await loadInteractions({ events: file });
    expect(rows.map((r) => r.type)).toEqual(['purchase', 'purchase', 'refund']);
  });

  it('reads a spreadsheet’s export too: byte-order mark, CRLF, month-first dates', async () => {
    const excel = join(dir, 'excel.csv');
    writeFileSync(
      excel,
      `\uFEFFInvoiceNo, StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n536365,85123A,HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\r\n536366,22633,"WARMER, RED",6,12/1/2010 8:28,1.85,17850,United Kingdom\r\n`,
    );
    expect(isInvoiceHeader('\uFEFFInvoiceNo, StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\r')).toBe(true);
    expect(invoiceDate('12/1/2010 8:26')).toBe(Date.UTC(2010, 11, 1, 8, 26));
    expect(invoiceDate('2011-12-09 12:50:00')).toBe(Date.UTC(2011, 11, 9, 12, 50));
    expect(invoiceDate('yesterday')).toBeNaN();
    const rows = await loadInteractions({ events: excel });
    expect(rows.map((r) => [r.item_id, r.ts])).toEqual([
      ['85123A', Date.UTC(2010, 11, 1, 8, 26)],
      ['22633', Date.UTC(2010, 11, 1, 8, 28)],
    ]);
  });

  it('refuses a file whose lines mostly cannot be read, naming the first, rather than keeping a few', () => {
    const bad = join(dir, 'bad-dates.csv');
    writeFileSync(
      bad,
      `InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,10001,1,01.12.2010 08:26,1,5\n2,10002,1,01.12.2010 08:27,1,5\n3,10003,1,2010-12-01 08:28,1,5\n`,
    );
    expect(() => readInvoiceLines(bad)).toThrow(
      /2 of 3 invoice lines have no readable price, quantity or date \(first: .*bad-dates.csv:2\)/,
    );
  });
});
