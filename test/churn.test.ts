/** Churn from a customer table, end to end: train, export, score in a fresh process, evaluate, refuse bad input. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileRows } from '@aisle/shared-models/features/profile';
import { type ChurnManifest, load } from '@aisle/shared-models/models/churn';
import { load as loadProfile } from '@aisle/shared-models/models/profile';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/src/backend';
import { readTable } from '../training/src/data/table';
import { loadModel } from '../training/src/model-files';
import { runAisle } from './helpers/aisle';
import { customerTable } from './helpers/customers';
import { HISTORY_AS_OF, shopHistory, toCsv } from './helpers/interactions';

const dir = mkdtempSync(join(tmpdir(), 'aisle-churn-'));
const csv = join(dir, 'customers.csv');
const model = join(dir, 'model');

const aisle = (...args: string[]) => runAisle(dir, ...args);
const train = ['train', 'churn', '--table', csv, '--label', 'churned', '--id', 'customer_id'];

describe('aisle train / score / eval churn on a customer table', () => {
  let trained: { code: number; stdout: string };
  beforeAll(async () => {
    writeFileSync(csv, customerTable());
    await useBackend('wasm');
    trained = await aisle(...train, '--categorical', 'region', '--out', model);
  }, 120_000);

  it('trains both networks, keeps one, and reports the metrics', () => {
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/\| (logistic|mlp) \(kept\) /);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as ChurnManifest;
    expect(manifest).toMatchObject({ name: 'churn', version: 1, label: 'churned', positive: 'yes', source: 'table' });
    expect(manifest.shards.map((s) => s.path)).toEqual(['model.json', 'weights.bin']);
    // The signal is strong: tickets, tenure and plan decide most of it.
    expect((manifest.metrics as { test: { rocAuc: number } }).test.rocAuc).toBeGreaterThan(0.75);
    // Blanks are filled, the id is no feature, region codes are categories.
    expect(manifest.tabular.columns.map((c) => `${c.name}:${c.kind}`)).toEqual([
      'tenure_months:numeric',
      'monthly_spend:numeric',
      'support_tickets:numeric',
      'plan:categorical',
      'region:categorical',
    ]);
  });

  it('scores every row in a fresh process exactly as the trainer does, with reasons', async () => {
    const here = await loadModel(model, load);
    const rows = readTable(csv).rows;
    const expected = here.score(rows);
    here.dispose();
    const out = join(dir, 'scores.ndjson');
    expect(
      (await aisle('score', 'churn', '--model', model, '--table', csv, '--id', 'customer_id', '--out', out)).code,
    ).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(rows.length);
    lines.forEach((line, i) => {
      expect(line.id).toBe(rows[i].customer_id);
      expect(line.probability).toBeCloseTo(expected[i].probability, 6);
      expect(line.reasons.length).toBeLessThanOrEqual(3);
    });
    // Heavy support users on the basic plan: the tickets are among their reasons.
    const risky = lines.filter((_, i) => rows[i].plan === 'basic' && Number(rows[i].support_tickets) >= 5);
    expect(risky.length).toBeGreaterThan(0);
    for (const l of risky) expect(l.reasons.map((r: { feature: string }) => r.feature)).toContain('support_tickets');
  });

  it('evaluates on a labelled table, prints a table and writes JSON', async () => {
    const r = await aisle('eval', 'churn', '--model', model, '--table', csv, '--out', 'churn-eval.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ROC-AUC/);
    const json = JSON.parse(readFileSync(join(dir, 'churn-eval.json'), 'utf8'));
    expect(json.metrics.rocAuc).toBeGreaterThan(0.75);
    expect(json.metrics.rows).toBe(1500);
  });

  it('leaves no tensor behind after load, score and dispose', async () => {
    const before = tf.memory().numTensors;
    const m = await loadModel(model, load);
    m.score(readTable(csv).rows.slice(0, 50));
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a model whose weights do not match the manifest', async () => {
    const tampered = join(dir, 'tampered');
    await aisle(...train, '--out', tampered, '--epochs', '2');
    const weights = readFileSync(join(tampered, 'weights.bin'));
    weights[0] ^= 0xff;
    writeFileSync(join(tampered, 'weights.bin'), weights);
    const r = await aisle(
      'score',
      'churn',
      '--model',
      tampered,
      '--table',
      csv,
      '--id',
      'customer_id',
      '--out',
      'x.ndjson',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/weights\.bin does not match its SHA-256; refusing to load it/);
  });

  it('answers bad input with one line and a non-zero exit', async () => {
    writeFileSync(join(dir, 'three.csv'), 'id,x,churned\n1,2,yes\n2,3,no\n3,4,maybe\n');
    writeFileSync(join(dir, 'words.csv'), 'id,x,outcome\n1,2,stayed\n2,3,left\n');
    const base = ['train', 'churn', '--id', 'customer_id', '--out', 'm'];
    const cases: [string[], RegExp][] = [
      [[...base, '--table', csv, '--label', 'gone'], /unknown label column gone \(columns: customer_id, tenure_months/],
      [[...base, '--table', 'nope.csv', '--label', 'churned'], /nope\.csv: no such file/],
      [
        ['train', 'churn', '--table', 'three.csv', '--label', 'churned', '--id', 'id', '--out', 'm'],
        /must have exactly two values, found 3/,
      ],
      [
        ['train', 'churn', '--table', 'words.csv', '--label', 'outcome', '--id', 'id', '--out', 'm'],
        /say which one is churn with --positive/,
      ],
      [[...base, '--table', csv, '--label', 'churned', '--epochs', 'zero'], /--epochs must be a whole number/],
      [
        ['score', 'churn', '--model', 'nowhere', '--table', csv, '--id', 'customer_id', '--out', 'x'],
        /nowhere: no model here/,
      ],
      [
        ['score', 'churn', '--model', model, '--table', 'three.csv', '--id', 'id', '--out', 'x'],
        /lacks columns the model needs: tenure_months/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => aisle(...args)));
    cases.forEach(([args, message], i) => {
      expect({ args, failed: results[i].code !== 0 }).toEqual({ args, failed: true });
      expect(results[i].stderr).toMatch(message);
      expect(results[i].stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});

describe('aisle train / score churn from events', () => {
  const events = join(dir, 'history.csv');
  const model = join(dir, 'behaviour-model');
  const asOf = new Date(HISTORY_AS_OF).toISOString();
  beforeAll(() => writeFileSync(events, toCsv(shopHistory())));

  it('learns who stops buying from behaviour before the cut-off', async () => {
    const r = await aisle(
      'train',
      'churn',
      '--events',
      events,
      '--as-of',
      asOf,
      '--horizon',
      '30d',
      '--value-horizon',
      '30d',
      '--out',
      model,
    );
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as ChurnManifest;
    expect(manifest).toMatchObject({
      source: 'events',
      behaviour: { as_of: asOf, horizon_days: 30, label_by: 'purchase' },
    });
    expect((manifest.metrics as { test: { rocAuc: number } }).test.rocAuc).toBeGreaterThan(0.8);
    // From events a third candidate: the MLP averaged with recency, frequency and money's own
    // logistic regression, kept unless a single network is ahead by more than validation's noise.
    expect(r.stdout).toMatch(/\| mlp\+rfm( \(kept\))? /);
    const compared = (manifest.metrics as { compared: Record<string, { valid_roc_auc: number }> }).compared;
    expect(Object.keys(compared).sort()).toEqual(['logistic', 'mlp', 'mlp+rfm']);
    if (manifest.architecture !== 'mlp+rfm')
      expect(compared[manifest.architecture].valid_roc_auc).toBeGreaterThan(compared['mlp+rfm'].valid_roc_auc);
    // Why, in words: the choice and the margin it was made by.
    expect(r.stdout).toMatch(/\nkept (mlp\+rfm|mlp|logistic): /);
    // Each customer's orders and spend over the next 30 days, judged on what they did: the ones who
    // drifted away are forecast to buy little, the loyal ones more, and the shop's total about right.
    const value = manifest.value;
    expect(value).toMatchObject({ kind: 'bg-nbd+gamma-gamma', as_of: asOf, horizon_days: 30 });
    const m = value?.metrics;
    expect(m?.orders_spearman).toBeGreaterThan(0.5);
    expect(m?.spend_spearman).toBeGreaterThan(0.5);
    expect(Math.abs((m?.predicted_orders ?? 0) / (m?.actual_orders ?? 1) - 1)).toBeLessThan(0.1);
    expect(Object.keys(value?.baselines ?? {})).toEqual(['last_period', 'average_rate']);
    expect(r.stdout).toMatch(/customer value over the 30 days after .*\n.*forecast.*orders MAE/);
  });

  it('scores every user with behaviour up to the moment asked, keyed by user_id', async () => {
    const out = join(dir, 'behaviour-scores.ndjson');
    const r = await aisle('score', 'churn', '--model', model, '--events', events, '--as-of', asOf, '--out', out);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(300);
    for (const l of lines) expect(Object.keys(l).slice(0, 4)).toEqual(['user_id', 'probability', 'flagged', 'reasons']);
    // Who has bought gets their value forecast over the model's days; who has not, none.
    const bought = new Set(
      shopHistory()
        .filter((e) => e.type === 'purchase' && e.ts <= HISTORY_AS_OF)
        .map((e) => e.user_id),
    );
    for (const l of lines) {
      if (!bought.has(l.user_id)) expect(l.value).toBeUndefined();
      else {
        expect(l.value).toMatchObject({ days: 30 });
        expect(l.value.orders).toBeGreaterThanOrEqual(0);
        expect(l.value.spend).toBeGreaterThanOrEqual(0);
        // The chance of still being active, for a customer of two orders or more (none for one).
        if (l.value.active !== null) {
          expect(l.value.active).toBeGreaterThanOrEqual(0);
          expect(l.value.active).toBeLessThanOrEqual(1);
        }
      }
    }
    // Real forecasts, not a column of zeros: most buyers are expected back, and the loyal more than the lapsed.
    const valued = lines.filter((l) => l.value);
    expect(valued.filter((l) => l.value.orders > 0.1).length).toBeGreaterThan(valued.length / 2);
    expect(valued.some((l) => l.value.active !== null)).toBe(true);
    // Shoppers gone quiet for weeks score higher than the ones still around.
    const history = shopHistory();
    const last = new Map<string, number>();
    for (const e of history) if (e.ts <= HISTORY_AS_OF) last.set(e.user_id, Math.max(last.get(e.user_id) ?? 0, e.ts));
    const quiet = lines.filter((l) => HISTORY_AS_OF - (last.get(l.user_id) ?? 0) > 40 * 86_400_000);
    const active = lines.filter((l) => HISTORY_AS_OF - (last.get(l.user_id) ?? 0) < 7 * 86_400_000);
    const mean = (xs: { probability: number }[]) => xs.reduce((s, x) => s + x.probability, 0) / xs.length;
    // The loyal are expected back more than the lapsed.
    const orders = (xs: { user_id: string; value?: { orders: number } }[]) =>
      xs.reduce((s, l) => s + (l.value?.orders ?? 0), 0) / xs.length;
    expect(orders(active.filter((l) => l.value))).toBeGreaterThan(2 * orders(quiet.filter((l) => l.value)));
    expect(mean(quiet)).toBeGreaterThan(mean(active) + 0.3);
    // The reasons read as the shopper's own story, not as a column and a value.
    const told = quiet.flatMap((l) => l.reasons.map((r: { text: string }) => r.text));
    expect(told.length).toBeGreaterThan(0);
    expect(told.filter((t) => /\bdays?\b|order|event|visit|spent/.test(t)).length / told.length).toBeGreaterThan(0.5);
    expect(told.filter((t) => /_/.test(t))).toEqual([]);
  });

  it('learns from several cut-offs, each one’s shoppers as they were then, and is judged on the last', async () => {
    const earlier = new Date(HISTORY_AS_OF - 60 * 86_400_000).toISOString();
    const middle = new Date(HISTORY_AS_OF - 30 * 86_400_000).toISOString();
    const out = join(dir, 'rolling-model');
    const r = await aisle(
      'train',
      'churn',
      '--events',
      events,
      '--as-of',
      `${asOf},${earlier},${middle}`,
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ChurnManifest;
    expect(manifest.behaviour).toMatchObject({ as_of: asOf, cut_offs: [earlier, middle, asOf], horizon_days: 30 });
    // The test rows are the last cut-off's shoppers, every one of them.
    const test = (manifest.metrics as { test: { rows: number; liftAt10: number } }).test;
    const atLast = new Set(
      shopHistory()
        .filter((e) => e.ts <= HISTORY_AS_OF)
        .map((e) => e.user_id),
    ).size;
    expect(test.rows).toBe(atLast);
    expect(test.liftAt10).toBeGreaterThan(1);
    expect(r.stdout).toMatch(/test lift top 10 %/);

    const overlapping = await aisle(
      'train',
      'churn',
      '--events',
      events,
      '--as-of',
      `${middle},${asOf}`,
      '--horizon',
      '45d',
      '--out',
      'y',
    );
    expect(overlapping.code).not.toBe(0);
    expect(overlapping.stderr).toMatch(
      /45-day horizon reaches past the last cut-off .*a training label would see the test period/,
    );
  });

  it('refuses a horizon the data does not reach, and a missing cut-off', async () => {
    const late = new Date(HISTORY_AS_OF + 30 * 86_400_000).toISOString();
    const cases: [string[], RegExp][] = [
      [['train', 'churn', '--events', events, '--as-of', late, '--out', 'x'], /before the 30-day horizon does/],
      [['train', 'churn', '--events', events, '--out', 'x'], /needs --as-of DATE/],
      [
        ['train', 'churn', '--events', events, '--as-of', asOf, '--horizon', 'a month', '--out', 'x'],
        /expected a duration/,
      ],
      [['score', 'churn', '--model', model, '--events', events, '--out', 'x'], /needs --as-of DATE/],
    ];
    const results = await Promise.all(cases.map(([args]) => aisle(...args)));
    cases.forEach(([args, message], i) => {
      expect({ args, failed: results[i].code !== 0 }).toEqual({ args, failed: true });
      expect(results[i].stderr).toMatch(message);
    });
  });
});

describe('aisle train / score profile', () => {
  const events = join(dir, 'history-profile.csv');
  const model = join(dir, 'profile');
  const source = ['--events', events, '--as-of', new Date(HISTORY_AS_OF).toISOString()];
  beforeAll(() => writeFileSync(events, toCsv(shopHistory())));

  it('segments shoppers, names the segments, and puts each user in one', async () => {
    const trained = await aisle('train', 'profile', ...source, '--out', model);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/silhouette by k: 2: /);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    expect(manifest.k).toBeGreaterThanOrEqual(2);
    expect(manifest.shards.map((s: { path: string }) => s.path)).toEqual(['model.json', 'weights.bin']);
    const out = join(dir, 'profiles.ndjson');
    const scored = await aisle('score', 'profile', '--model', model, ...source, '--out', out);
    expect(scored.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(300);
    expect(Object.keys(lines[0])).toEqual(['user_id', 'segment', 'segment_name', 'tags', 'features']);
    // Exported and loaded in a fresh process, the model puts every user where training did.
    const sizes = manifest.segments.map((seg: { id: number }) => lines.filter((l) => l.segment === seg.id).length);
    expect(sizes).toEqual(manifest.segments.map((seg: { size: number }) => seg.size));
    // The shoppers who drifted away long before the cut-off land in a lapsing segment.
    const long = lines.filter((l) => l.features.days_since_last_event > 45);
    expect(long.length).toBeGreaterThan(20);
    const lapsing = long.filter((l) => l.segment_name.startsWith('lapsing')).length;
    expect(lapsing / long.length).toBeGreaterThan(0.9);
    for (const l of long) expect(l.tags).toContain('inactive 30 days');
  });

  it('loads from its files with nothing left behind', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const profile = await loadModel(model, loadProfile);
    const { manifest } = profile;
    const rows = [...profileRows(shopHistory(), HISTORY_AS_OF, manifest.reference_price).values()];
    expect(profile.assign(rows.slice(0, 5)).map((r) => r.segment_name)).toHaveLength(5);
    profile.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses too few users and a model of another kind', async () => {
    writeFileSync(
      join(dir, 'few.csv'),
      'user_id,item_id,type,ts\nu1,a,view_item,1767225600\nu2,b,view_item,1767225601\n',
    );
    const few = await aisle('train', 'profile', '--events', 'few.csv', '--out', 'p');
    expect(few.code).toBe(1);
    expect(few.stderr).toMatch(/need at least 10 users with events to segment, have 2/);
    const wrong = await aisle('score', 'churn', '--model', model, ...source, '--out', 'x');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/holds a profile model, not churn/);
  });
});
