import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTs, readInteractions } from './interchange';

const dir = mkdtempSync(join(tmpdir(), 'aisle-interchange-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('parseTs', () => {
  it('reads ISO 8601, unix seconds and unix milliseconds as the same instant', () => {
    const ms = Date.UTC(2024, 2, 1, 12, 30, 0);
    expect(parseTs('2024-03-01T12:30:00Z')).toBe(ms);
    expect(parseTs('2024-03-01T13:30:00+01:00')).toBe(ms);
    expect(parseTs(String(ms / 1000))).toBe(ms);
    expect(parseTs(String(ms))).toBe(ms);
    expect(parseTs(ms / 1000)).toBe(ms);
  });

  it('refuses what is none of those', () => {
    for (const bad of ['yesterday', '03/01/2024', '', 'NaN', '2024-13-45T99:00:00Z'])
      expect(parseTs(bad)).toBeUndefined();
  });
});

describe('readInteractions', () => {
  it('reads CSV with optional columns typed, sorted by time, equal times in file order', () => {
    const rows = readInteractions(
      file(
        'a.csv',
        'user_id,item_id,type,ts,price,quantity,category,session_id\n' +
          'u1,b,view_item,1700000002,9.5,1,shoes,s1\n' +
          'u1,a,view_item,1700000001,,,,\n' +
          'u2,c,add_to_cart,1700000002,3,2,hats,s2\n',
      ),
    );
    expect(rows.map((r) => r.item_id)).toEqual(['a', 'b', 'c']);
    expect(rows[1]).toEqual({
      user_id: 'u1',
      item_id: 'b',
      type: 'view_item',
      ts: 1_700_000_002_000,
      price: 9.5,
      quantity: 1,
      category: 'shoes',
      session_id: 's1',
    });
    expect(rows[0]).toEqual({ user_id: 'u1', item_id: 'a', type: 'view_item', ts: 1_700_000_001_000 });
  });

  it('reads NDJSON, and tab-separated files with a header', () => {
    const nd = readInteractions(
      file('a.ndjson', '{"user_id":"u","item_id":"x","type":"purchase","ts":"2024-01-01T00:00:00Z","price":5}\n\n'),
    );
    expect(nd).toEqual([{ user_id: 'u', item_id: 'x', type: 'purchase', ts: Date.UTC(2024, 0, 1), price: 5 }]);
    const tsv = readInteractions(file('a.tsv', 'user_id\titem_id\ttype\tts\nu\tx\tview_item\t1700000000000\n'));
    expect(tsv[0].ts).toBe(1_700_000_000_000);
  });

  it('names the file, line and problem of bad input', () => {
    const cases: [string, string, RegExp][] = [
      [
        'missing.csv',
        'user_id,type,ts\nu,view_item,1\n',
        /missing required column item_id \(found: user_id, type, ts\)/,
      ],
      [
        'badts.csv',
        'user_id,item_id,type,ts\nu,a,view_item,1700000000\nu,b,view_item,soon\n',
        /badts\.csv:3: ts "soon" is not ISO 8601/,
      ],
      [
        'price.csv',
        'user_id,item_id,type,ts,price\nu,a,view_item,1,cheap\n',
        /price\.csv:2: price must be a number, got "cheap"/,
      ],
      ['nouser.csv', 'user_id,item_id,type,ts\n,a,view_item,1\n', /nouser\.csv:2: user_id is required/],
      ['empty.csv', 'user_id,item_id,type,ts\n', /empty\.csv: no events/],
      ['bad.ndjson', '{"user_id":"u","item_id":"a","type":"x","ts":1}\n{"user_id":\n', /bad\.ndjson:2: not valid JSON/],
      ['array.ndjson', '[1,2]\n', /array\.ndjson:1: expected a JSON object per line/],
    ];
    for (const [name, text, message] of cases) expect(() => readInteractions(file(name, text)), name).toThrow(message);
    expect(() => readInteractions(join(dir, 'nope.csv'))).toThrow(/nope\.csv: no such file/);
  });

  it('leaves out unreadable rows among good ones, counting them by reason', () => {
    const dropped = new Map();
    const rows = readInteractions(
      file(
        'some-bad.csv',
        'user_id,item_id,type,ts,price\nu,a,view_item,1700000000,3\nu,b,view_item,soon,3\nv,c,view_item,later,4\n' +
          'v,d,view_item,1700000001,cheap\nw,e,view_item,1700000002,5\nw,f,view_item,1700000003,5\nx,g,view_item,1700000004,1\n',
      ),
      dropped,
    );
    expect(rows.map((r) => r.item_id)).toEqual(['a', 'e', 'f', 'g']);
    expect([...dropped]).toEqual([
      [
        'ts is not ISO 8601, unix seconds or unix milliseconds',
        { count: 2, first: expect.stringMatching(/some-bad\.csv:3$/) },
      ],
      ['price must be a number', { count: 1, first: expect.stringMatching(/some-bad\.csv:5$/) }],
    ]);
  });
});
