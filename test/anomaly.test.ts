/** The session anomaly model end to end: train, set suspected bots aside, export, score in a fresh process, evaluate on injected attacks. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionize, sessionRow, sessionRows } from '@aisle/shared-models/features/session';
import { type AnomalyManifest, createAnomalyModel, load } from '@aisle/shared-models/models/anomaly';
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { uuidv7 } from '@aisle/shared-models/schema/ids';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../edge-server/src/storage/sqlite';
import { useBackend } from '../training/src/backend';
import { loadModel } from '../training/src/model-files';
import { sessionTable, trainAnomaly } from '../training/src/pipelines/anomaly';
import { ATTACK_KINDS, injectSessions } from '../training/src/pipelines/anomaly-attacks';
import { runAisle } from './helpers/aisle';
import { humanSessions, toCsv } from './helpers/interactions';

const dir = mkdtempSync(join(tmpdir(), 'aisle-anomaly-'));
const aisle = (...args: string[]) => runAisle(dir, ...args);
const HALF = Date.UTC(2026, 3, 1);

describe('aisle train / score / eval anomaly', () => {
  const log = humanSessions();
  const training = join(dir, 'march.csv');
  const later = join(dir, 'april.csv');
  const model = join(dir, 'anomaly');
  let trained: { code: number; stdout: string; stderr: string };
  let march: ReturnType<typeof injectSessions>;
  beforeAll(async () => {
    // Train on March with a few attacks in it; evaluate on April, which it never saw.
    march = injectSessions(
      log.filter((e) => e.ts < HALF),
      12,
      3,
    );
    writeFileSync(training, toCsv(march.events));
    writeFileSync(later, toCsv(log.filter((e) => e.ts >= HALF)));
    await useBackend('wasm');
    trained = await aisle('train', 'anomaly', '--events', training, '--out', model);
  }, 120_000);

  it('trains without the plainly scripted sessions, sets the unusual 1 % aside, and calibrates on later ones', async () => {
    expect(trained.code).toBe(0);
    // The injected attacks are plainly no person: the preprocessing leaves them out, and says so.
    expect(trained.stderr.trim().split('\n')).toHaveLength(1);
    expect(trained.stderr).toMatch(/^aisle: left out [\d,]+ of [\d,]+ events: [\d,]+ in a bot-like session/);
    expect(trained.stderr).toMatch(/in a bot-like session \(repeated payment failures\)/);
    expect(trained.stderr).toMatch(/in a bot-like session \(impossible pace\)/);
    expect(trained.stdout).toMatch(/set aside as bots/);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as AnomalyManifest;
    expect(manifest).toMatchObject({ name: 'anomaly', version: 1, flag_at: 0.99 });
    expect(manifest.error_percentiles).toHaveLength(101);
    expect(manifest.error_scale).toHaveLength(manifest.input_bounds?.lo.length ?? -1);
    expect(manifest.shards.map((s) => s.path)).toEqual(['model.json', 'weights.bin']);
    const m = manifest.metrics as Record<string, number>;
    expect(m.excluded_as_suspected_bots).toBeGreaterThan(0);
    expect(m.training_sessions + m.excluded_as_suspected_bots + m.calibration_sessions).toBe(m.sessions);
    // Scored as shipped, the people of the period that calibrated it sit where the calibration put
    // them: half above the median, about one in a hundred flagged — the scale the errors are counted
    // in is the same in the trainer and the model.
    const here = await loadModel(model, load);
    const people = sessionTable(
      march.events.filter((e) => !march.sessions.has(e.session_id as string)),
      here.manifest,
    );
    const last = people.rows.slice(Math.floor(people.rows.length * 0.8));
    const scores = here.score(last);
    here.dispose();
    const sorted = scores.map((s) => s.score).sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThan(0.35);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(0.65);
    expect(scores.filter((s) => s.flagged).length / scores.length).toBeLessThan(0.03);
  });

  it('finds the attacks hidden in its own training data among the sessions it sets aside', async () => {
    const before = tf.memory().numTensors;
    const { network, suspected } = await trainAnomaly(march.events, { epochs: 40 });
    network.dispose();
    // Two fits, and nothing of either left behind (their optimizers' state included).
    expect(tf.memory().numTensors).toBe(before);
    const attacks = [...march.sessions.keys()];
    // Attacks in the later fifth calibrate; of those in the training part, nearly all are set aside.
    const { ids } = sessionTable(march.events);
    const trainingIds = new Set(ids.slice(0, Math.floor(ids.length * 0.8)));
    const inTraining = attacks.filter((id) => trainingIds.has(id));
    const caught = inTraining.filter((id) => suspected.includes(id));
    expect(inTraining.length).toBeGreaterThan(5);
    expect(caught.length / inTraining.length).toBeGreaterThanOrEqual(0.75);
  }, 60_000);

  it('in a shop whose shoppers look mostly at a few products, flags a crawl through the rest at a person’s pace', async () => {
    // The same shoppers, but four products in five they open are the first eight of their category.
    const skewed = log.map((e) => {
      const [category, k] = e.item_id.split('-i');
      const n = Number(k);
      return n >= 8 && (n * 7 + e.ts) % 5 ? { ...e, item_id: `${category}-i${n % 8}` } : e;
    });
    const { network, manifest } = await trainAnomaly(
      skewed.filter((e) => e.ts < HALF),
      { epochs: 40 },
    );
    const m = createAnomalyModel(network, { ...manifest, shards: [] });
    // Rare: some of the 192 products opened a fifth as often, none of the 48 most opened.
    expect(manifest.rare_items?.items).toBeGreaterThan(48);
    expect(manifest.rare_items?.items).toBeLessThanOrEqual(192);
    // A crawler reading one product page a minute or so, every category's products in turn.
    const crawl = Array.from({ length: 40 }, (_, k) => ({
      user_id: 'crawler',
      item_id: `cat${k % 6}-i${8 + ((k * 5) % 32)}`,
      category: `cat${k % 6}`,
      type: 'view_item',
      ts: HALF + 3_600_000 + k * (40_000 + ((k * 7919) % 50_000)),
    }));
    const row = sessionRow(crawl, manifest);
    expect(Number(row.rare_item_surprise)).toBeGreaterThan(10);
    const [crawler] = m.score([row]);
    expect(crawler.flagged).toBe(true);
    expect(crawler.reasons.map((r) => r.feature)).toContain('rare_item_surprise');
    // The shop's own April, never seen: few flagged (one in a hundred where nothing drifted).
    const april = sessionTable(
      skewed.filter((e) => e.ts >= HALF),
      manifest,
    );
    expect(m.score(april.rows).filter((s) => s.flagged).length / april.rows.length).toBeLessThan(0.05);
    m.dispose();
  }, 60_000);

  it('scores every session in a fresh process as the trainer does, flagging attacks with reasons', async () => {
    const attacked = injectSessions(
      log.filter((e) => e.ts >= HALF),
      40,
      9,
    );
    const file = join(dir, 'attacked.csv');
    writeFileSync(file, toCsv(attacked.events));
    const out = join(dir, 'scores.ndjson');
    const r = await aisle('score', 'anomaly', '--model', model, '--events', file, '--out', out);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const here = await loadModel(model, load);
    // Described as the model reads sessions: its columns, against the products its shop hardly ever opens.
    const rows = sessionRows(attacked.events, here.manifest);
    expect(lines).toHaveLength(rows.size);
    expect(Object.keys(lines[0])).toEqual(['session_id', 'score', 'flagged', 'reasons']);

    const expected = here.score([...rows.values()]);
    here.dispose();
    lines.forEach((line, i) => {
      expect(line.score).toBeCloseTo(expected[i].score, 3);
    });

    const byId = new Map(lines.map((l) => [l.session_id, l]));
    const of = (kind: string) => [...attacked.sessions].filter(([, k]) => k === kind).map(([id]) => byId.get(id));
    for (const c of of('carding')) {
      expect(c.flagged).toBe(true);
      expect(c.reasons.map((x: { feature: string }) => x.feature).join()).toMatch(/payment/);
    }
    for (const c of of('credential_stuffing'))
      expect(c.reasons.map((x: { feature: string }) => x.feature)).toContain('logins');
    const injected = [...attacked.sessions.keys()].map((id) => byId.get(id));
    expect(injected.filter((b) => b.flagged).length / injected.length).toBeGreaterThanOrEqual(0.9);
    for (const l of lines.filter((x) => x.flagged)) expect(l.reasons.length).toBeGreaterThan(0);
    const people = lines.filter((l) => !attacked.sessions.has(l.session_id));
    expect(people.filter((l) => l.flagged).length / people.length).toBeLessThan(0.05);
  });

  it('evaluates each of the eight kinds of attack against four baselines, as tables and JSON', async () => {
    const r = await aisle('eval', 'anomaly', '--model', model, '--events', later, '--inject', '160', '--out', 'e.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ROC-AUC against the log's own sessions/);
    expect(r.stdout).toMatch(/recall at 1 % false positives/);
    for (const name of ['events per minute (rule)', 'event count (rule)', 'max z-score (no model)', 'isolation forest'])
      expect(r.stdout).toContain(name);
    for (const kind of ATTACK_KINDS) expect(r.stdout).toMatch(new RegExp(`^\\| ${kind} +\\| 20 +\\|`, 'm'));
    const json = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8'));
    const model_ = json.detectors.autoencoder;
    expect(model_.all.sessions).toBe(160);
    expect(model_.all.rocAuc).toBeGreaterThan(0.95);
    expect(model_.carding.recallAt1PctFpr).toBeGreaterThan(0.9);
    // The model beats the one-line rule on every kind.
    for (const kind of ATTACK_KINDS)
      expect(model_[kind].rocAuc).toBeGreaterThanOrEqual(json.detectors.events_per_minute[kind].rocAuc);
    expect(json.false_positive_rate_at_flag).toBeLessThan(0.05);

    // Only the kinds asked for.
    const some = await aisle(
      'eval',
      'anomaly',
      '--model',
      model,
      '--events',
      later,
      '--inject',
      '20',
      '--kinds',
      'scalping,click_fraud',
      '--out',
      'f.json',
    );
    expect(some.code, some.stderr).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'f.json'), 'utf8')).detectors.autoencoder)).toEqual([
      'all',
      'scalping',
      'click_fraud',
    ]);
  });

  it('leaves no tensor behind after load, score and dispose', async () => {
    const before = tf.memory().numTensors;
    const m = await loadModel(model, load);
    m.score([...sessionRows(log.slice(0, 500)).values()]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns from the flags labelled on the dashboard when it trains from the store', async () => {
    // March in the edge store as the script sends it, each session with its id; two sessions flagged.
    const file = join(dir, 'store.db');
    const storage = openSqlite(file);
    await storage.migrate();
    const march = log.filter((e) => e.ts < HALF);
    const sessions = [...sessionize(march)];
    const events: AisleEvent[] = sessions.flatMap(([session, list]) =>
      list.map(
        (e) =>
          ({
            event_id: uuidv7(),
            type: e.type,
            ts: e.ts,
            anonymous_id: e.user_id,
            session_id: session,
            ...(e.item_id ? { items: [{ item_id: e.item_id, price: e.price, item_category: e.category }] } : {}),
          }) as AisleEvent,
      ),
    );
    const [confirmed, falseAlarm] = [sessions[3][0], sessions[7][0]];
    for (const session of [confirmed, falseAlarm]) {
      const first = events.find((e) => e.session_id === session) as AisleEvent;
      events.push({
        ...first,
        event_id: uuidv7(),
        type: 'risk_flag',
        items: undefined,
        props: { score: 0.999, model_version: '1', reasons: 'pace' },
      });
    }
    for (let i = 0; i < events.length; i += 500)
      await storage.insertEvents('demo', events.slice(i, i + 500), Date.now());
    await storage.rollups.refresh();
    const flags = (await storage.rollups.risk({ site: 'demo', from: 0, to: 40_000 })).sessions;
    const id = (session: string) => flags.find((f) => f.session_id === session)?.event_id as string;
    expect(await storage.riskLabels.set('demo', id(confirmed), 'confirmed', Date.now())).toBe(true);
    expect(await storage.riskLabels.set('demo', id(falseAlarm), 'false', Date.now())).toBe(true);
    await storage.close();

    const out = join(dir, 'labelled');
    const r = await aisle(
      'train',
      'anomaly',
      '--from',
      `sqlite:${file}`,
      '--site',
      'demo',
      '--out',
      out,
      '--epochs',
      '3',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'labels from the dashboard: 1 confirmed bot sessions left out, 1 false alarms kept as normal',
    );
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as AnomalyManifest;
    const m = manifest.metrics as Record<string, number>;
    expect(m.confirmed_bots_left_out).toBe(1);
    expect(m.sessions).toBe(sessions.length - 1);
  }, 60_000);

  it('answers bad input with one line and a non-zero exit', async () => {
    writeFileSync(join(dir, 'few.csv'), toCsv(log.slice(0, 30)));
    const cases: [string[], RegExp][] = [
      [['train', 'anomaly', '--events', 'few.csv', '--out', 'm'], /need at least 50 sessions to learn normal traffic/],
      [['train', 'anomaly', '--events', training, '--out', 'm', '--flag-at', '2'], /--flag-at 2: expected a share/],
      [['score', 'anomaly', '--events', training, '--out', 'x'], /missing --model/],
      [['score', 'anomaly', '--model', 'nowhere', '--events', training, '--out', 'x'], /nowhere/],
      [
        ['eval', 'anomaly', '--model', model, '--events', training, '--inject', 'lots'],
        /--inject must be a whole number/,
      ],
      [
        ['eval', 'anomaly', '--model', model, '--events', training, '--kinds', 'scraping,ddos'],
        /--kinds scraping,ddos: unknown kind ddos/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => aisle(...args)));
    cases.forEach(([, message], i) => {
      expect(results[i].code).not.toBe(0);
      expect(results[i].stderr).toMatch(message);
      expect(results[i].stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
