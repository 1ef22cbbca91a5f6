/** The `aisle` command as an operator runs it: a real process, files on disk, the real edge store. */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { decodeTensors } from '@aisle/shared-models/models/files';
import { uuidv7 } from '@aisle/shared-models/schema/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATE_MS } from '../training/src/pipelines/recommender-warm';
import { runAisle } from './helpers/aisle';
import { returningShoppers, shopLog, toCsv } from './helpers/interactions';
import { openTestPostgres, PG_URL, postgresAvailable } from './helpers/postgres';
import { tempSqlite } from './helpers/server';

const dir = mkdtempSync(join(tmpdir(), 'aisle-cli-'));

const aisle = (...args: string[]) => runAisle(dir, ...args);
const withPostgres = await postgresAvailable();

interface EvalReport {
  users: number;
  results: { model: string; settings: string; test: { ndcg: number; hitRate: number } }[];
}

describe('aisle eval recommender', () => {
  const rows = shopLog();
  const csv = join(dir, 'shop.csv');
  const store = tempSqlite();
  // The same log as events in the edge store, as the storefront script would have sent them.
  const asEvents = () =>
    rows.map((r) => ({
      event_id: uuidv7(),
      type: r.type,
      ts: r.ts,
      anonymous_id: `anon-${r.user_id}`,
      user_id: r.user_id,
      session_id: r.session_id as string,
      items: [{ item_id: r.item_id, price: r.price, item_category: r.category }],
    }));
  beforeAll(async () => {
    writeFileSync(csv, toCsv(rows));
    await store.storage.migrate();
    await store.storage.insertEvents('demo', asEvents(), Date.now());
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

  it('holds out the last sessions whole with --split sessions, SKNN and V-SKNN beside the other baselines', async () => {
    const { code, stdout } = await aisle(
      'eval',
      'recommender',
      '--events',
      csv,
      '--split',
      'sessions',
      '--out',
      'sessions.json',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/next items in 20 held-out sessions \(160 to learn from, 20 to choose settings on/);
    expect(stdout).toMatch(/\| model +\| NDCG@10 +\| HR@10 +\| MRR@20/);
    const report = JSON.parse(readFileSync(join(dir, 'sessions.json'), 'utf8')) as EvalReport & {
      split: string;
      sessions: { test: number };
      cases: number;
    };
    expect(report).toMatchObject({ split: 'sessions', sessions: { test: 20 } });
    const ndcg = Object.fromEntries(report.results.map((r) => [r.model, r.test.ndcg]));
    expect(Object.keys(ndcg)).toEqual(expect.arrayContaining(['popularity', 'markov', 'item-knn', 'sknn', 'v-sknn']));
    // Within a session shoppers walk their category in order: the sessions like it know what comes next.
    expect(ndcg.sknn).toBeGreaterThan(ndcg.popularity * 2);
    expect(ndcg['v-sknn']).toBeGreaterThan(ndcg.popularity * 2);
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

  it.runIf(withPostgres)('reads them from PostgreSQL too', async () => {
    const db = await openTestPostgres();
    try {
      await db.storage.insertEvents('demo', asEvents(), Date.now());
      const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}`;
      const { code, stderr } = await aisle('eval', 'recommender', '--from', url, '--out', 'pg.json');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const fromFile = JSON.parse(readFileSync(join(dir, 'file.json'), 'utf8')) as EvalReport;
      const fromPostgres = JSON.parse(readFileSync(join(dir, 'pg.json'), 'utf8')) as EvalReport;
      expect(fromPostgres.results).toEqual(fromFile.results);
    } finally {
      await db.drop();
    }
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
      [['eval', 'recommender', '--events', csv, '--split', 'days'], 2, /--split days: expected users or sessions/],
      [['eval', 'recommender', '--colour'], 2, /unknown option '--colour'/],
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
    expect(help.stdout).toMatch(/--events <FILE> +interchange file/);
  });
});

describe('aisle train recommender and aisle recommend', () => {
  const csv = join(dir, 'shop-rec.csv');
  const model = join(dir, 'recommender');
  let trained: { code: number; stdout: string };
  beforeAll(async () => {
    writeFileSync(csv, toCsv(shopLog({ seed: 11 })));
    trained = await aisle('train', 'recommender', '--events', csv, '--out', model, '--epochs', '6');
  }, 120_000);

  it('refuses to judge on held-out sessions a model that learnt from them', async () => {
    const r = await aisle('eval', 'recommender', '--events', csv, '--split', 'sessions', '--model', model);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the model learnt from events up to .*, after the held-out sessions begin/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('trains, keeps the best epoch, and reports it next to the baselines', () => {
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/\| recommender +\| /);
    expect(trained.stdout).toMatch(/\| item-knn +\| /);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'recommender', version: 1 });
    expect(manifest.shards.map((s: { path: string }) => s.path)).toEqual(['model.json', 'weights.bin']);
    // Shoppers walk their category in order: the model must find it, far above popularity.
    expect(manifest.metrics.ndcg_at_10).toBeGreaterThan(2 * manifest.metrics.compared.popularity.test);
    // Written in fewer bits where validation allowed, in TF.js's quantised format, and said so;
    // the metrics are those of the weights as written, within 1 % of the float32 model on validation.
    const q = manifest.metrics.quantization;
    expect(q.bytes).toBeLessThan(q.bytes_float32 / 2);
    expect(q.valid_ndcg).toBeGreaterThanOrEqual(0.99 * q.valid_ndcg_float32);
    expect(q.test_ndcg).toBe(manifest.metrics.ndcg_at_10);
    const specs = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')).weightsManifest[0].weights;
    expect(specs.find((w: { name: string }) => w.name === 'knn_items').quantization.dtype).toMatch(/uint(8|16)/);
    expect(readFileSync(join(model, 'weights.bin')).byteLength).toBe(q.bytes);
    expect(trained.stdout).toMatch(/weights: [\d.]+ MB as float32, [\d.]+ MB written/);
    // --arch auto (the default): the three networks trained, the best on validation kept, and why.
    const arch = manifest.metrics.arch;
    expect(arch.candidates.map((c: { arch: string }) => c.arch)).toEqual(['sasrec', 'srgnn', 'lightgcn']);
    // Each replaces the one kept so far only where it leads by more than the margin (1 %): no switch for noise.
    const kept = arch.candidates.reduce((a: { valid_ndcg: number }, b: { valid_ndcg: number }) =>
      b.valid_ndcg > a.valid_ndcg * 1.01 ? b : a,
    );
    expect(manifest.config.arch ?? 'sasrec').toBe(kept.arch);
    expect(arch.chosen).toBe(manifest.config.arch ?? 'sasrec');
    expect(trained.stdout).toMatch(
      /network: (sasrec|srgnn|lightgcn): validation NDCG@10 [\d.]+ against (srgnn|sasrec|lightgcn) [\d.]+, (srgnn|sasrec|lightgcn) [\d.]+/,
    );
  });

  it.each([
    ['the session graph (SR-GNN)', 'srgnn', 'SR-GNN', { arch: 'srgnn', maxLen: 20 }],
    ['the shoppers–items graph (LightGCN)', 'lightgcn', 'LightGCN', { arch: 'lightgcn', maxLen: 50, decay: 0.7 }],
  ])(
    'trains %s alone when asked, and it ranks the same read back',
    async (_, arch, name, config) => {
      const graph = join(dir, `recommender-${arch}`);
      const r = await aisle('train', 'recommender', '--events', csv, '--out', graph, '--epochs', '3', '--arch', arch);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`\\| ${arch} alone +\\| `));
      expect(r.stdout).toMatch(new RegExp(`network: ${arch}: asked for`));
      const manifest = JSON.parse(readFileSync(join(graph, 'manifest.json'), 'utf8'));
      expect(manifest.config).toMatchObject(config);
      expect(manifest.metrics.ndcg_at_10).toBeGreaterThan(2 * manifest.metrics.compared.popularity.test);
      // The network itself learnt (the blend could lean on item-kNN alone).
      expect(manifest.metrics.compared[`${arch} alone`].test).toBeGreaterThan(
        manifest.metrics.compared.popularity.test,
      );
      const evaluated = await aisle(
        'eval',
        'recommender',
        '--events',
        csv,
        '--model',
        graph,
        '--out',
        `${arch}-eval.json`,
      );
      expect(evaluated.code).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, `${arch}-eval.json`), 'utf8')) as EvalReport;
      expect(report.results[0].test.ndcg).toBeCloseTo(manifest.metrics.ndcg_at_10, 6);
      expect(report.results[0].settings).toMatch(new RegExp(`^${name} weight`));
      // A warm start keeps the network, and moves only the items with events in its data's last hour.
      const warm = await aisle('train', 'recommender', '--events', csv, '--out', graph, '--warm-start');
      expect(warm.code).toBe(0);
      const after = JSON.parse(readFileSync(join(graph, 'manifest.json'), 'utf8'));
      expect(after.config).toMatchObject(config);
      expect(after.metrics.warm_start.from_version).toBe(manifest.version);
      expect(after.metrics.warm_start.moved_items).toBeLessThan(manifest.items.length / 4);
    },
    120_000,
  );

  it('recommends K distinct items to every user, new users and unknown items included', async () => {
    const extra = join(dir, 'visitors.csv');
    writeFileSync(
      extra,
      'user_id,item_id,type,ts\nnewcomer,c1-i1,view_item,1767225600\nnewcomer,c1-i2,view_item,1767225660\nstranger,not-in-catalogue,view_item,1767225600\n',
    );
    const out = join(dir, 'recs.ndjson');
    const r = await aisle('recommend', '--model', model, '--events', extra, '--k', '10', '--out', out);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.user_id)).toEqual(['newcomer', 'stranger']);
    for (const l of lines) {
      expect(l.items).toHaveLength(10);
      expect(new Set(l.items).size).toBe(10);
    }
    // Seen items stay out unless validation showed this shop's shoppers coming back to them.
    if (!JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')).repeat) {
      expect(lines[0].items).not.toContain('c1-i1');
      expect(lines[0].items).not.toContain('c1-i2');
    }
    // After c1-i1 and c1-i2 in a shop whose shoppers walk categories in order, c1-i3 is the next step.
    expect(lines[0].items.slice(0, 3)).toContain('c1-i3');
  });

  it('scores the same in a fresh process as in training (export round trip)', async () => {
    const r = await aisle('eval', 'recommender', '--events', csv, '--model', model, '--out', 'rec-eval.json');
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    const report = JSON.parse(readFileSync(join(dir, 'rec-eval.json'), 'utf8')) as EvalReport;
    expect(report.results[0].test.ndcg).toBeCloseTo(manifest.metrics.ndcg_at_10, 6);
  });

  it("gives profiles a taste facet from the recommender's view of each history", async () => {
    const profile = join(dir, 'profile-taste');
    const trainedProfile = await aisle('train', 'profile', '--events', csv, '--recommender', model, '--out', profile);
    expect(trainedProfile.code).toBe(0);
    expect(trainedProfile.stdout).toMatch(/taste facet \(recommender v1\)/);
    const manifest = JSON.parse(readFileSync(join(profile, 'manifest.json'), 'utf8'));
    expect(manifest.taste).toMatchObject({ recommender_version: 1, dim: 64 });
    expect(manifest.taste.k).toBeGreaterThanOrEqual(2);

    const out = join(dir, 'profiles-taste.ndjson');
    const missing = await aisle('score', 'profile', '--model', profile, '--events', csv, '--out', out);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/has a taste facet: give --recommender DIR/);
    const scored = await aisle(
      'score',
      'profile',
      '--model',
      profile,
      '--events',
      csv,
      '--recommender',
      model,
      '--out',
      out,
    );
    expect(scored.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(200);
    // Shoppers keep to one category: a taste segment named after it holds most of that category's shoppers.
    const log = shopLog({ seed: 11 });
    const favourite = new Map<string, string>();
    for (const u of new Set(log.map((e) => e.user_id))) {
      const counts = new Map<string, number>();
      for (const e of log.filter((x) => x.user_id === u))
        counts.set(e.category ?? '', (counts.get(e.category ?? '') ?? 0) + 1);
      favourite.set(u, [...counts].sort((a, b) => b[1] - a[1])[0][0]);
    }
    const named = lines.filter((l) => l.taste_name?.includes(favourite.get(l.user_id) as string)).length;
    expect(named / lines.length).toBeGreaterThan(0.45);
  });

  it('stops training when the time budget runs out, mid-epoch if need be, keeping the best so far', async () => {
    const quick = join(dir, 'quick');
    const r = await aisle(
      'train',
      'recommender',
      '--events',
      csv,
      '--out',
      quick,
      '--epochs',
      '200',
      '--time-budget',
      '1',
    );
    expect(r.code).toBe(0);
    // Three networks (--arch auto), a third of the budget each; an epoch longer than that stops part way.
    for (const arch of ['sasrec', 'srgnn', 'lightgcn'])
      expect(r.stdout).toMatch(
        new RegExp(
          `${arch}: stopped (after \\d+ epochs|\\d+ % into epoch \\d+): its 0.3 s share of the 1 s time budget`,
        ),
      );
    const manifest = JSON.parse(readFileSync(join(quick, 'manifest.json'), 'utf8'));
    expect(manifest.metrics.epochs_run).toBeLessThan(200);
    expect(manifest.metrics.ndcg_at_10).toBeGreaterThan(0);
  });

  it('refuses bad input with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['recommend', '--model', 'nowhere', '--events', csv, '--out', 'x'], /nowhere: no model here/],
      [['recommend', '--model', model, '--events', csv, '--k', '0', '--out', 'x'], /--k must be a whole number/],
      [['train', 'recommender', '--events', csv], /missing --out/],
      [
        ['train', 'recommender', '--events', csv, '--out', 'x', '--arch', 'gru4rec'],
        /--arch must be one of sasrec, srgnn, lightgcn, auto, got "gru4rec"/,
      ],
      ...['lots', '-1', '100', ''].map((loss): [string[], RegExp] => [
        ['train', 'recommender', '--events', csv, '--out', 'x', '--quantize-loss', loss],
        /--quantize-loss must be a percentage/,
      ]),
      [['recommend', '--model', join(dir, 'nowhere'), '--out', 'x'], /missing --events FILE/],
    ];
    const results = await Promise.all(cases.map(([args]) => aisle(...args)));
    cases.forEach(([args, message], i) => {
      expect({ args, failed: results[i].code !== 0 }).toEqual({ args, failed: true });
      expect(results[i].stderr).toMatch(message);
      expect(results[i].stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});

describe('aisle train recommender --warm-start: a daily retrain that ships only what moved', () => {
  const log = shopLog({ seed: 12, users: 300, perCategory: 30 });
  // "Yesterday": every shopper but the last two; "today" adds those two (a handful of 180 items move).
  const cut = log.find((r) => r.user_id === 'u298')?.ts as number;
  const model = join(dir, 'daily');
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const manifestOf = () => JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  const movedAfter = (until: number) => new Set(log.filter((x) => x.ts > until - LATE_MS).map((x) => x.item_id));
  const shard = (m: { shards: { path: string; sha256: string; size: number }[] }, path: string) =>
    m.shards.find((s) => s.path === path) as { path: string; sha256: string; size: number };
  const train = (file: string, ...more: string[]) =>
    aisle('train', 'recommender', '--events', file, '--out', model, '--dim', '16', '--epochs', '4', ...more);
  const embedding = async (version: string) => {
    const files = new Map(
      ['model.json', 'weights.bin', 'weights.base.bin', 'weights.patch.bin']
        .filter((f) => existsSync(join(version, f)))
        .map((f) => [f, new Uint8Array(readFileSync(join(version, f)))]),
    );
    const { tensors } = decodeTensors(files, 'aisle-sasrec');
    const rows = (await tensors.item_embedding.array()) as number[][];
    for (const t of Object.values(tensors)) t.dispose();
    return rows;
  };

  it("writes yesterday's weights as the base and a patch of the rows that moved; unmoved rows keep their values", async () => {
    const yesterday = join(dir, 'yesterday.csv');
    const today = join(dir, 'today.csv');
    writeFileSync(yesterday, toCsv(log.filter((r) => r.ts < cut)));
    writeFileSync(today, toCsv(log));
    expect((await train(yesterday)).code).toBe(0);
    const v1 = manifestOf();
    const v1Copy = join(dir, 'daily-v1');
    cpSync(model, v1Copy, { recursive: true });
    const whole = shard(v1, 'weights.bin');
    expect(v1.metrics.data_until).toBe(Math.max(...log.filter((r) => r.ts < cut).map((r) => r.ts)));

    const r = await train(today, '--warm-start');
    expect(r.code).toBe(0);
    const v2 = manifestOf();
    // Items with events since yesterday's data ended, or in its last hour (events that reach the edge late).
    const moved = movedAfter(v1.metrics.data_until);
    expect(moved.size).toBeGreaterThan(new Set(log.filter((x) => x.ts >= cut).map((x) => x.item_id)).size - 1);
    expect(v2.version).toBe(2);
    expect(v2.metrics.warm_start).toEqual({ from_version: 1, moved_items: moved.size });
    expect(v2.shards.map((s: { path: string }) => s.path)).toEqual([
      'model.json',
      'weights.base.bin',
      'weights.patch.bin',
    ]);
    // The base is yesterday's weights.bin, byte for byte: a device that holds v1 fetches only the patch.
    expect(shard(v2, 'weights.base.bin')).toEqual({ ...whole, path: 'weights.base.bin' });
    const patch = shard(v2, 'weights.patch.bin');
    // Under half of the whole, as both travel (compressed).
    const brotli = (file: string) => brotliCompressSync(readFileSync(join(model, file))).byteLength;
    expect(brotli('weights.patch.bin')).toBeLessThan(brotli('weights.base.bin') / 2);
    expect(patch.size).toBeLessThan(whole.size);
    expect(r.stdout).toMatch(/update: a device holding the version before downloads the patch, [\d.]+ KB/);
    // Items without events today decode to exactly yesterday's values; the others moved.
    const [before, after] = [await embedding(v1Copy), await embedding(model)];
    const ids: string[] = v2.items;
    expect(ids.slice(0, v1.items.length)).toEqual(v1.items);
    for (let i = 1; i < v1.items.length; i++) {
      if (moved.has(ids[i])) continue;
      expect({ id: ids[i], row: after[i] }).toEqual({ id: ids[i], row: before[i] });
    }
    expect([...moved].some((id) => after[ids.indexOf(id)].some((v, k) => v !== before[ids.indexOf(id)][k]))).toBe(true);
    // Still a model: far above popularity, and `aisle recommend` reads it through the patch.
    expect(v2.metrics.ndcg_at_10).toBeGreaterThan(2 * v2.metrics.compared.popularity.test);
    const out = join(dir, 'daily-recs.ndjson');
    expect((await aisle('recommend', '--model', model, '--events', today, '--k', '5', '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(300);

    // The day after: the patch is again against the same base (never a chain), whatever the version in between.
    expect((await train(today, '--warm-start')).code).toBe(0);
    const v3 = manifestOf();
    expect(v3.version).toBe(3);
    expect(shard(v3, 'weights.base.bin')?.sha256).toBe(whole.sha256);
    expect(sha(join(model, 'weights.base.bin'))).toBe(whole.sha256);
    expect(v3.metrics.warm_start.moved_items).toBe(movedAfter(v2.metrics.data_until).size);
    expect(v3.metrics.warm_start.moved_items).toBeLessThan(moved.size);
  }, 240_000);

  it('does the same for a head: starts from the whole model beside it; the head keeps its unmoved rows', async () => {
    const head = join(dir, 'daily-head');
    const run = (file: string, ...more: string[]) =>
      aisle(
        'train',
        'recommender',
        '--events',
        file,
        '--out',
        head,
        '--dim',
        '16',
        '--epochs',
        '4',
        '--head',
        '40',
        ...more,
      );
    expect((await run(join(dir, 'yesterday.csv'))).code).toBe(0);
    const v1 = JSON.parse(readFileSync(join(head, 'manifest.json'), 'utf8'));
    cpSync(head, `${head}-v1`, { recursive: true });
    expect((await run(join(dir, 'today.csv'), '--warm-start')).code).toBe(0);
    const v2 = JSON.parse(readFileSync(join(head, 'manifest.json'), 'utf8'));
    expect(v2.head.of).toBe(181); // 180 items and the unknown bucket
    expect(v2.shards.map((x: { path: string }) => x.path)).toContain('candidates.bin');
    // Written whole or as a patch, whichever is smaller (a toy head's dense layers are much of it).
    const base = shard(v2, 'weights.base.bin');
    if (base) expect(base.sha256).toBe(shard(v1, 'weights.bin').sha256);
    // The head is written in the whole model's levels, which the retrain kept: unmoved rows keep their values.
    const moved = movedAfter(v1.metrics.data_until);
    const [before, after] = [await embedding(`${head}-v1`), await embedding(head)];
    let kept = 0;
    v2.items.forEach((id: string, i: number) => {
      const was = v1.items.indexOf(id);
      if (i === 0 || was < 0 || moved.has(id)) return;
      expect({ id, row: after[i] }).toEqual({ id, row: before[was] });
      kept++;
    });
    expect(kept).toBeGreaterThan(20);
    // The whole model beside it is whole (the operator's tools read it), and started from the whole one.
    const whole = JSON.parse(readFileSync(join(head, 'whole', 'manifest.json'), 'utf8'));
    expect(whole.shards.map((x: { path: string }) => x.path)).toEqual(['model.json', 'weights.bin']);
    expect(whole.metrics.warm_start.from_version).toBe(1);
  }, 120_000);

  it('refuses to start from nothing, or from a model of another shape, with one line', async () => {
    const empty = join(dir, 'no-model-here');
    const r = await aisle('train', 'recommender', '--events', join(dir, 'today.csv'), '--out', empty, '--warm-start');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no model here/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const warmAgain = (...more: string[]) =>
      aisle('train', 'recommender', '--events', join(dir, 'today.csv'), '--out', model, '--warm-start', ...more);
    const other = await warmAgain('--dim', '8');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/has dim 16, this training 8/);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    // A warm start keeps its network: asking for the other one is refused, not silently ignored.
    const arch = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')).config.arch ?? 'sasrec';
    const otherArch = arch === 'sasrec' ? 'srgnn' : 'sasrec';
    const switched = await warmAgain('--arch', otherArch);
    expect(switched.code).not.toBe(0);
    expect(switched.stderr).toMatch(new RegExp(`reads histories with ${arch}, not ${otherArch}`));
    expect(switched.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});

describe('aisle train recommender on a shop whose shoppers come back to items', () => {
  const csv = join(dir, 'returning.csv');
  const model = join(dir, 'returning');
  const log = returningShoppers();
  beforeAll(() => writeFileSync(csv, toCsv(log)));

  it('learns on validation to let seen items compete, beats the baselines judged the same way, and recommends them', async () => {
    const trained = await aisle('train', 'recommender', '--events', csv, '--out', model, '--epochs', '4');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/seen items ranked too|repeats allowed/);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    expect(manifest.repeat).toMatchObject({ weight: expect.any(Number), decay: expect.any(Number) });
    expect(manifest.metrics.validation_repeat_rate).toBeGreaterThan(0.3);
    const c = manifest.metrics.compared;
    for (const baseline of ['popularity', 'markov', 'item-knn', 'buy-again'])
      expect(c.recommender.test).toBeGreaterThan(c[baseline].test);

    const out = join(dir, 'returning.ndjson');
    expect((await aisle('recommend', '--model', model, '--events', csv, '--k', '10', '--out', out)).code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const seen = new Map<string, Set<string>>();
    for (const e of log) seen.set(e.user_id, (seen.get(e.user_id) ?? new Set()).add(e.item_id));
    // The items a shopper looked at most recently come back among their recommendations.
    const withOwn = lines.filter((l) => l.items.some((i: string) => seen.get(l.user_id)?.has(i))).length;
    expect(withOwn / lines.length).toBeGreaterThan(0.9);
    for (const l of lines) expect(new Set(l.items).size).toBe(10);
  }, 120_000);
});
