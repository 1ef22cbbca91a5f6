/** The `aisle` command as an operator runs it: a real process, files on disk, the real edge store. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../shared-models/src/schema/ids';
import { shopLog, toCsv } from './helpers/interactions';
import { tempSqlite } from './helpers/server';

const BIN = new URL('../training/bin/aisle.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'aisle-cli-'));

async function aisle(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: dir,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface EvalReport {
  users: number;
  results: { model: string; test: { ndcg: number; hitRate: number } }[];
}

describe('aisle eval recommender', () => {
  const rows = shopLog();
  const csv = join(dir, 'shop.csv');
  const store = tempSqlite();
  beforeAll(async () => {
    writeFileSync(csv, toCsv(rows));
    // The same log as events in the edge store, as the storefront script would have sent them.
    await store.storage.migrate();
    await store.storage.insertEvents(
      'demo',
      rows.map((r) => ({
        event_id: uuidv7(),
        type: r.type,
        ts: r.ts,
        anonymous_id: `anon-${r.user_id}`,
        user_id: r.user_id,
        session_id: r.session_id as string,
        items: [{ item_id: r.item_id, price: r.price, item_category: r.category }],
      })),
      Date.now(),
    );
  });
  afterAll(async () => {
    await store.storage.close();
    store.remove();
  });

  it('prints the baselines as a table, writes JSON, and finds the structure in the log', async () => {
    const { code, stdout } = await aisle('eval', 'recommender', '--events', csv, '--out', 'file.json');
    expect(code).toBe(0);
    expect(stdout).toMatch(/\| model +\| NDCG@10 +\| HR@10/);
    const report = JSON.parse(readFileSync(join(dir, 'file.json'), 'utf8')) as EvalReport;
    expect(report.users).toBe(200);
    const ndcg = Object.fromEntries(report.results.map((r) => [r.model, r.test.ndcg]));
    // Shoppers walk their category in order: what came next and what goes together beat what is popular.
    expect(ndcg.markov).toBeGreaterThan(ndcg.popularity * 2);
    expect(ndcg['item-knn']).toBeGreaterThan(ndcg.popularity * 2);
  });

  it('reads the same events from the edge store and gets the same numbers', async () => {
    const { code } = await aisle(
      'eval',
      'recommender',
      '--from',
      `sqlite:${store.dir}/aisle.db`,
      '--out',
      'store.json',
    );
    expect(code).toBe(0);
    const fromFile = JSON.parse(readFileSync(join(dir, 'file.json'), 'utf8')) as EvalReport;
    const fromStore = JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as EvalReport;
    expect(fromStore.results).toEqual(fromFile.results);
  });

  it('answers bad input with one line on stderr and a non-zero exit', async () => {
    writeFileSync(join(dir, 'nocol.csv'), 'user_id,type,ts\nu,view_item,1\n');
    writeFileSync(join(dir, 'short.csv'), 'user_id,item_id,type,ts\nu,a,view_item,1\nu,b,view_item,2\n');
    const cases: [string[], number, RegExp][] = [
      [['eval', 'recommender'], 1, /missing --events FILE/],
      [['eval', 'recommender', '--events', 'nope.csv'], 1, /nope\.csv: no such file/],
      [['eval', 'recommender', '--events', 'nocol.csv'], 1, /missing required column item_id/],
      [['eval', 'recommender', '--events', 'short.csv'], 1, /no user has three or more item interactions/],
      [['eval', 'recommender', '--events', csv, '--k', 'ten'], 2, /--k must be a whole number/],
      [['eval', 'recommender', '--colour'], 2, /Unknown option '--colour'/],
      [['eval', 'recommender', '--from', 'sqlite:nope.db'], 1, /nope\.db: no such SQLite store/],
      [['eval', 'recommender', '--from', 'mysql://x'], 1, /expected sqlite:PATH or postgres/],
      [['fly'], 2, /unknown command "fly"/],
    ];
    const results = await Promise.all(cases.map(([args]) => aisle(...args)));
    cases.forEach(([args, code, message], i) => {
      expect({ args, code: results[i].code }).toEqual({ args, code });
      expect(results[i].stderr).toMatch(message);
      expect(results[i].stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  it('explains every command with --help', async () => {
    expect((await aisle('--help')).stdout).toMatch(/eval recommender/);
    const help = await aisle('eval', 'recommender', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--events FILE/);
  });
});
