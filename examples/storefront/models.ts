/**
 * @module examples/storefront/models — gives the demo shop models from its first start: writes the
 * catalogue devices download, and, when the demo's models are missing or were trained on another
 * catalogue, trains a recommender and an anomaly model on a season of simulated shoppers
 * (`examples/storefront/history.ts`) with the `aisle` command, in child processes that leave the
 * server free to answer while they work.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Storage } from '@aisle/edge-server/storage';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { generateSigningKey, keyId, publicKeyBase64 } from '@aisle/shared-models/models/signing';
import { type AisleEvent, EventSchema } from '@aisle/shared-models/schema/event';
import { toInterchangeCsv } from '@aisle/shared-models/schema/interaction';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '@aisle/training/src/commands/registry';
import { catalogDocument, demoHistory, demoSeasonEnd } from './history';

type Registry = Storage['registry'];

const AISLE = fileURLToPath(import.meta.resolve('@aisle/training/bin/aisle.mjs'));
/** `aisle ...args` in a child process: the server stays free to answer while it works. */
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, [AISLE, ...args], { maxBuffer: 16 * 1024 * 1024 });
/**
 * `aisle ...args` with the operator token: in the child's environment, never on its command line,
 * where every local user can read it (`ps`).
 */
const runAs = (token: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, [AISLE, ...args], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, AISLE_OPERATOR_TOKEN: token },
  });
/**
 * Bump when the simulated history changes, or how a model is trained from it (9: the anomaly model's
 * views of rarely viewed products), so existing demo models are retrained.
 */
const HISTORY_VERSION = 9;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();
/**
 * Churn cut-offs for a season ending at `end`, each with a 30-day horizon inside it: the model
 * learns from the shoppers as they were two months before the end and is judged on those of one
 * month before (the test set is a later period, not a shuffle of the same one).
 */
/** Beside the season's events (`demo-history.csv`): when that season ends, which the scoring runs as of. */
const SEASON_FILE = 'demo-season-end';

const churnAsOf = (end: number) => [iso(end - 61 * DAY), iso(end - 31 * DAY)].join(',');
export const DEMO_MODELS = ['recommender', 'anomaly', 'profile', 'churn'] as const;

export interface DemoModels {
  /** Resolves when every model is in place (at once when they already were). */
  ready: Promise<void>;
}

export interface DemoModelOptions {
  log?: (line: string) => void;
  /** Simulated shoppers (default 600) and recommender epochs (default 12): smaller for tests. */
  shoppers?: number;
  epochs?: number;
  /** Which models (default all four). */
  models?: readonly (typeof DEMO_MODELS)[number][];
  /** When the season ends (default today, 00:00 UTC): a new day is a new season, and new models. */
  end?: number;
  /** Devices hold the recommender's this many most viewed products, the edge answers the rest (default: the trainer's threshold). */
  head?: number;
}

export function ensureDemoModels(
  dir: string,
  {
    log = () => {},
    shoppers = 600,
    epochs = 12,
    models = DEMO_MODELS,
    end = demoSeasonEnd(),
    head,
  }: DemoModelOptions = {},
): DemoModels {
  mkdirSync(dir, { recursive: true });
  const catalog = `${JSON.stringify(catalogDocument())}\n`;
  const catalogFile = join(dir, 'catalog.json');
  const changed = !existsSync(catalogFile) || readFileSync(catalogFile, 'utf8') !== catalog;
  if (changed) writeFileSync(catalogFile, catalog);
  // The catalogue devices verify: packed for aisle publish, like a model (catalog/).
  const packed =
    changed || !existsSync(join(dir, 'catalog', 'manifest.json'))
      ? run('catalog', 'pack', '--file', catalogFile, '--out', join(dir, 'catalog')).then(() => {})
      : Promise.resolve();
  const train: Record<(typeof DEMO_MODELS)[number], string[]> = {
    recommender: ['--epochs', String(epochs), '--time-budget', '60', ...(head ? ['--head', String(head)] : [])],
    anomaly: [],
    profile: [],
    // The season's last month is the churn label's horizon (the month before it, the training
    // cut-off's), and the value forecast's too.
    churn: ['--as-of', churnAsOf(end), '--value-horizon', '30d'],
  };
  // What the models are trained with (the season's end among it) is part of the stamp: a change retrains them.
  const stamp = createHash('sha256')
    .update(`${HISTORY_VERSION}/${shoppers}/${epochs}/${end}/${JSON.stringify(train)}\n${catalog}`)
    .digest('hex');
  const stampFile = join(dir, 'demo-models.stamp');
  const current = existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp;
  if (current && models.every((m) => existsSync(join(dir, m, 'manifest.json')))) {
    return { ready: packed };
  }
  const events = join(dir, 'demo-history.csv');
  writeFileSync(events, toInterchangeCsv(demoHistory({ shoppers, end })));
  writeFileSync(join(dir, SEASON_FILE), `${iso(end)}\n`);
  log('training the demo models on a simulated season of shoppers (about a minute, in the background)…');
  const started = Date.now();
  const ready = (async () => {
    await Promise.all([
      packed,
      ...models.map((m) => run('train', m, '--events', events, '--out', join(dir, m), ...train[m])),
    ]);
    writeFileSync(stampFile, `${stamp}\n`);
    log(`demo models ready in ${((Date.now() - started) / 1000).toFixed(0)} s (${dir})`);
  })();
  ready.catch((error: Error & { stderr?: string }) =>
    log(`could not train the demo models: ${(error.stderr ?? error.message).trim().split('\n').at(-1)}`),
  );
  return { ready };
}

/**
 * The demo shop's signing key pair, generated on first start into `dir` (as `aisle keys generate`
 * would) and registered for the site `demo`: the demo's models are published signed, and its tag
 * pins the public key, from the first run.
 */
export async function demoSigningKey(
  dir: string,
  registry: Registry,
): Promise<{ privateFile: string; publicKey: string }> {
  const privateFile = join(dir, PRIVATE_KEY_FILE);
  const publicFile = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(privateFile) || !existsSync(publicFile)) {
    const { privatePem, publicPem } = await generateSigningKey();
    mkdirSync(dir, { recursive: true });
    writeFileSync(privateFile, privatePem, { mode: 0o600 });
    writeFileSync(publicFile, publicPem);
  }
  const publicKey = publicKeyBase64(readFileSync(publicFile, 'utf8'));
  const key_id = await keyId(publicKey);
  if (!(await registry.keys('demo')).some((k) => k.key_id === key_id)) {
    await registry.putKey({ site: 'demo', key_id, public_key: publicKey, created_at: Date.now() });
    await registry.audit({
      at: Date.now(),
      site: 'demo',
      action: 'register key',
      name: null,
      version: null,
      detail: { key_id, demo: true },
    });
  }
  return { privateFile, publicKey };
}

/**
 * Publishes the demo's trained models for the site `demo` with `aisle publish`, as an operator
 * would, through the server's own admin API: each one whose files differ from what its stable
 * channel serves, one version above the highest published.
 */
export async function publishDemoModels(
  dir: string,
  {
    server,
    token,
    keyFile,
    registry,
    log = () => {},
  }: {
    server: string;
    token: string;
    keyFile: string;
    registry: Registry;
    log?: (line: string) => void;
  },
): Promise<void> {
  // Profile and churn models run on the server, not on devices; published all the same, so the
  // registry (and the dashboard's Models page) holds every model the shop runs, with its metrics.
  // The catalogue goes the same way: devices take it only signed.
  for (const name of [...DEMO_MODELS, 'catalog']) {
    const file = join(dir, name, 'manifest.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as ModelManifest;
    const stable = (await registry.channels('demo', name)).find((c) => c.channel === 'stable');
    const serving = stable && (JSON.parse(stable.manifest) as ModelManifest);
    if (serving && JSON.stringify(serving.shards) === JSON.stringify(manifest.shards)) continue;
    const highest = Math.max(0, ...(await registry.versions('demo', name)).map((v) => v.version));
    const version = String(Math.max(manifest.version, highest + 1));
    await runAs(
      token,
      'publish',
      '--model',
      join(dir, name),
      '--key',
      keyFile,
      '--site',
      'demo',
      '--server',
      server,
      '--version',
      version,
    );
    log(`published ${name} v${version} for the demo shop, signed`);
  }
}

/**
 * The demo's profile job: every simulated shopper's segment and churn risk, scored by the demo's
 * profile and churn models as the season ends and stored on the server with `aisle score …
 * --publish`, where merchants read them with their retention actions.
 */
export async function scoreDemoProfiles(
  dir: string,
  { server, token, log = () => {} }: { server: string; token: string; log?: (line: string) => void },
): Promise<void> {
  const events = join(dir, 'demo-history.csv');
  const seasonFile = join(dir, SEASON_FILE);
  if (![events, seasonFile, join(dir, 'profile'), join(dir, 'churn')].every((f) => existsSync(f))) return;
  const seasonEnd = readFileSync(seasonFile, 'utf8').trim();
  const publish = ['--publish', '--site', 'demo', '--server', server];
  await runAs(
    token,
    'score',
    'profile',
    '--model',
    join(dir, 'profile'),
    '--events',
    events,
    '--as-of',
    seasonEnd,
    '--out',
    join(dir, 'profiles.jsonl'),
    ...publish,
  );
  await runAs(
    token,
    'score',
    'churn',
    '--model',
    join(dir, 'churn'),
    '--events',
    events,
    '--as-of',
    seasonEnd,
    '--out',
    join(dir, 'churn.jsonl'),
    ...publish,
  );
  log('scored the demo shoppers: segments, churn risk and retention actions at /v1/admin/profiles');
}

/**
 * Bumped when the seeded events change shape (an event's id carries it). A store seeded on an
 * earlier day gets the days since (the overlap has the same ids, so nothing doubles); one seeded
 * with an older version gets the whole season again beside the old one (delete the data dir).
 */
const SEED_VERSION = 2;

/**
 * The simulated season's events, as the storefront script would have stored them for the site
 * `demo`: the dashboard has three months of a believable shop to show from the first start. Ids
 * are derived from the events themselves, so a second seeding stores nothing twice. Each order
 * (the purchase rows of one moment) becomes one `purchase` with its items, value and currency.
 */
export function demoEvents(shoppers = 600, end = demoSeasonEnd()): AisleEvent[] {
  const rows = demoHistory({ shoppers, end });
  const out: AisleEvent[] = [];
  // An event's id comes from what it is (never its place in this season), so a later season's copy has the same.
  const seen = new Map<string, number>();
  const id = (text: string) => {
    const h = createHash('sha256').update(text).digest('hex');
    // Shaped as a version 8 (custom) UUID with the RFC 9562 variant.
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const item = r.item_id
      ? [{ item_id: r.item_id, item_category: r.category, price: r.price, quantity: r.quantity ?? 1 }]
      : undefined;
    const key = `${SEED_VERSION}/${r.user_id}/${r.ts}/${r.type}/${r.item_id}`;
    const copy = seen.get(key) ?? 0;
    seen.set(key, copy + 1);
    const base = {
      event_id: id(`${key}/${copy}`),
      type: r.type,
      ts: r.ts,
      anonymous_id: r.user_id,
      session_id: r.session_id ?? r.user_id,
      ...(r.device ? { device: r.device } : {}),
    };
    if (r.type === 'purchase') {
      const last = out.at(-1);
      if (last?.type === 'purchase' && last.session_id === base.session_id && last.ts === r.ts && item) {
        last.items = [...(last.items ?? []), ...item];
        last.value = Math.round(((last.value ?? 0) + (r.price ?? 0) * (r.quantity ?? 1)) * 100) / 100;
        continue;
      }
      out.push({ ...base, items: item, value: (r.price ?? 0) * (r.quantity ?? 1), currency: 'EUR' } as AisleEvent);
    } else out.push({ ...base, ...(item ? { items: item } : {}) } as AisleEvent);
  }
  return out.filter((e) => EventSchema.safeParse(e).success);
}

/**
 * Stores the demo season's events (the 90 days up to this hour, so that today has its morning too)
 * once an hour and seed version (a stamp in `dataDir`): a store seeded earlier is stale and gets
 * the hours since; how many were new.
 */
export async function seedDemoEvents(
  storage: Storage,
  dataDir: string,
  log: (line: string) => void,
  shoppers = 600,
  end = Math.floor(Date.now() / HOUR) * HOUR,
): Promise<number> {
  const stamp = join(dataDir, 'demo-events');
  const current = `${SEED_VERSION}/${shoppers}/${iso(end).slice(0, 13)}`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === current) return 0;
  const events = demoEvents(shoppers, end);
  let added = 0;
  for (let i = 0; i < events.length; i += 500) {
    added += (await storage.insertEvents('demo', events.slice(i, i + 500), Date.now())).accepted;
  }
  writeFileSync(stamp, `${current}\n`);
  log(
    `stored the demo shop's simulated season up to ${iso(end).slice(0, 13)}:00 UTC: ${added} new events for the dashboard`,
  );
  return added;
}
