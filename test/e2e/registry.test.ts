/**
 * Signed models reaching a shopper's device: the operator publishes with the `aisle` CLI, the demo
 * shop in Chromium (its tag pinning the operator's public key) picks each new version up without a
 * restart of the edge, and a compromised edge cannot move it — a wrong signature, a downgraded
 * version, a tampered shard and a replayed stale manifest are each refused while the last good
 * model keeps serving.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { publicKeyBase64 } from '@aisle/shared-models/models/signing';
import { toInterchangeCsv } from '@aisle/shared-models/schema/interaction';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/storefront/history';
import { runAisle } from '../helpers/aisle';
import {
  type AisleStatus,
  type AisleWindow,
  aisleReady,
  chromiumAvailable,
  launch,
  type TestBrowser,
  type TestPage,
  until,
} from '../helpers/browser';
import { startServer, type TestServer, TOKEN, tempSqlite } from '../helpers/server';

/** A copy of a model directory whose model.json differs by a byte of whitespace: new files, same model. */
function variant(dir: string, n: number): string {
  const out = mkdtempSync(join(tmpdir(), 'aisle-variant-'));
  cpSync(dir, out, { recursive: true });
  const bytes = Buffer.concat([readFileSync(join(dir, 'model.json')), Buffer.from(' '.repeat(n))]);
  writeFileSync(join(out, 'model.json'), bytes);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  for (const s of manifest.shards) {
    if (s.path !== 'model.json') continue;
    s.sha256 = createHash('sha256').update(bytes).digest('hex');
    s.size = bytes.byteLength;
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
  return out;
}

describe.runIf(chromiumAvailable())('signed models on the demo shop', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let db: ReturnType<typeof tempSqlite>;
  let keys: string;
  let model: string;
  const cwd = process.cwd();

  beforeAll(async () => {
    keys = mkdtempSync(join(tmpdir(), 'aisle-keys-'));
    expect((await runAisle(cwd, 'keys', 'generate', '--out', keys)).code).toBe(0);
    db = tempSqlite();
    server = await startServer(db.storage, {
      demoKey: publicKeyBase64(readFileSync(join(keys, 'aisle-signing.pub'), 'utf8')),
    });
    browser = await launch();
    const work = mkdtempSync(join(tmpdir(), 'aisle-registry-e2e-'));
    writeFileSync(join(work, 'events.csv'), toInterchangeCsv(demoHistory({ shoppers: 150 })));
    model = join(work, 'anomaly');
    const trained = await runAisle(cwd, 'train', 'anomaly', '--events', join(work, 'events.csv'), '--out', model);
    expect(trained.code, trained.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    db?.remove();
  });

  const conn = () => ['--site', 'demo', '--server', server.url, '--token', TOKEN];
  const aisle = async (...args: string[]) => {
    const run = await runAisle(cwd, ...args);
    expect(run.code, run.stderr).toBe(0);
    return run;
  };
  const publish = (dir: string, version: number) =>
    aisle('publish', '--model', dir, '--key', join(keys, 'aisle-signing.key'), '--version', String(version), ...conn());
  /** What the edge serves on the stable channel now; and a way to serve something else, as a compromised edge would. */
  const serving = async () =>
    JSON.parse((await server.storage.registry.channels('demo', 'anomaly'))[0].manifest) as ModelManifest;
  const serve = (manifest: ModelManifest) =>
    server.storage.registry.setChannel({
      site: 'demo',
      name: 'anomaly',
      channel: 'stable',
      version: manifest.version,
      rollout: 100,
      manifest: JSON.stringify(manifest),
      updated_at: Date.now(),
    });

  /** The page reloaded (a new visit), once its worker is up: the device's view of its anomaly model. */
  async function visit(page: TestPage): Promise<AisleStatus> {
    await page.goto(`${server.url}/demo/?backend=wasm`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    return until(
      'the inference worker',
      async () => {
        const s = await page.evaluate(() => (window as unknown as AisleWindow).aisle.status());
        return s.backend ? s : undefined;
      },
      60_000,
    );
  }

  it('loads each published version, and keeps the last good one through every attack', async () => {
    const key = join(keys, 'aisle-signing.key');
    await aisle('keys', 'register', '--pub', join(keys, 'aisle-signing.pub'), ...conn());
    const page = await browser.isolatedPage();

    // Nothing published: the directory's unsigned development models are not for a pinned key.
    expect((await visit(page)).models.anomaly).toBeUndefined();

    await publish(model, 1);
    let s = await visit(page);
    expect(s.models.anomaly).toMatchObject({
      version: 1,
      loadedFrom: 'network',
      signedBy: expect.stringMatching(/^[0-9a-f]{16}$/),
    });

    const v2 = variant(model, 1);
    await publish(v2, 2);
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 2, loadedFrom: 'network' });
    const good = await serving();

    // A wrong signature: v2 relabelled as v3 after signing.
    await serve({ ...good, version: 3 });
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 2, loadedFrom: 'cache' });
    expect(s.problems?.join()).toMatch(/anomaly: v3 refused: .*signature does not verify against the pinned key/);

    // A downgrade: the genuine, signed v1, with no rollback mark.
    const v1 = JSON.parse((await server.storage.registry.versions('demo', 'anomaly'))[0].manifest) as ModelManifest;
    await serve(v1);
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 2, loadedFrom: 'cache' });
    expect(s.problems?.join()).toMatch(/anomaly: refused version 1, lower than the cached 2/);
    await serve(good);

    // A tampered shard behind a genuine v3 manifest: the bytes do not hash to what was signed.
    const v3 = variant(model, 2);
    await publish(v3, 3);
    const changed = (await serving()).shards.find((x) => x.path === 'model.json')?.sha256 as string;
    const file = new Database(join(db.dir, 'aisle.db'));
    const original = (file.prepare('SELECT bytes FROM model_shards WHERE sha256 = ?').get(changed) as { bytes: Buffer })
      .bytes;
    const tampered = Buffer.from(original);
    tampered[10] ^= 1;
    file.prepare('UPDATE model_shards SET bytes = ? WHERE sha256 = ?').run(tampered, changed);
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 2, loadedFrom: 'cache' });
    expect(s.problems?.join()).toMatch(/anomaly: v3 refused: shard model\.json does not match its SHA-256/);
    file.prepare('UPDATE model_shards SET bytes = ? WHERE sha256 = ?').run(original, changed);
    file.close();
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 3, loadedFrom: 'network' });
    const bad = await serving();

    // The operator rolls v3 back: a lower version, accepted because the rollback is signed.
    await aisle('rollback', 'anomaly', '--to', '2', '--key', key, ...conn());
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 2 });
    expect(s.problems ?? []).toEqual([]);

    // A replay of the genuine v3 manifest from before the rollback: signed earlier than what was seen.
    await serve(bad);
    s = await visit(page);
    expect(s.models.anomaly).toMatchObject({ version: 2, loadedFrom: 'cache' });
    expect(s.problems?.join()).toMatch(
      /anomaly: v3 refused: signed .* before the .* manifest already seen \(a replay\)/,
    );
    expect(page.errors).toEqual([]);
  }, 300_000);
});
