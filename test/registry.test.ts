/**
 * The signed model registry on the real edge server, over SQLite and PostgreSQL: an operator
 * generates and registers a key and publishes with the `aisle` CLI, devices get the signed
 * manifest by site and rollout, and everything unsigned, mis-signed, signed for another site,
 * downgraded or incomplete is refused with a 4xx that says why.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { generateSigningKey, publicKeyBase64, verifySignature } from '@aisle/shared-models/models/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signManifest } from '../training/src/commands/registry';
import { storageAdapters } from './helpers/adapters';
import { runAisle } from './helpers/aisle';
import { startServer, type TestServer, TOKEN, tempSqlite } from './helpers/server';

/** A model directory as `aisle train` writes one: a manifest and its shards. */
function modelDir(version: number, seed: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aisle-model-'));
  const shards = ['model.json', 'weights.bin'].map((path) => {
    const bytes = Buffer.from(`${seed} ${path} ${'x'.repeat(100)}`);
    writeFileSync(join(dir, path), bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
  });
  const manifest = {
    manifest_version: 1,
    name: 'anomaly',
    version,
    feature_schema_version: 1,
    created_at: new Date().toISOString(),
    shards,
    metrics: { roc_auc: 0.97 },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

const admin = (server: TestServer, path: string, init: RequestInit = {}, token = TOKEN) =>
  fetch(`${server.url}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
const post = (server: TestServer, path: string, body: unknown, token = TOKEN) =>
  admin(
    server,
    path,
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
    token,
  );

async function uploadShards(server: TestServer, dir: string, manifest: ModelManifest) {
  for (const s of manifest.shards) {
    const res = await admin(server, `/v1/admin/models/shards/${s.sha256}`, {
      method: 'PUT',
      body: readFileSync(join(dir, s.path)),
    });
    expect([200, 201]).toContain(res.status);
  }
}

describe('publishing with the aisle CLI (SQLite)', () => {
  let server: TestServer;
  let db: ReturnType<typeof tempSqlite>;
  let keys: string;
  const cwd = process.cwd();
  beforeAll(async () => {
    db = tempSqlite();
    server = await startServer(db.storage);
    keys = mkdtempSync(join(tmpdir(), 'aisle-keys-'));
  });
  afterAll(async () => {
    await server.close();
    db.remove();
  });

  it('generates a key, registers it, publishes, lists, rolls back — and devices get each signed manifest', async () => {
    const generated = await runAisle(cwd, 'keys', 'generate', '--out', keys);
    expect(generated.code, generated.stderr).toBe(0);
    const pub = readFileSync(join(keys, 'aisle-signing.pub'), 'utf8');
    expect(generated.stdout).toContain(`data-key="${publicKeyBase64(pub)}"`);
    expect((await runAisle(cwd, 'keys', 'generate', '--out', keys)).code).toBe(1); // never overwrites a key

    const conn = ['--server', server.url, '--token', TOKEN];
    const registered = await runAisle(
      cwd,
      'keys',
      'register',
      '--pub',
      join(keys, 'aisle-signing.pub'),
      '--site',
      'demo',
      ...conn,
    );
    expect(registered.code, registered.stderr).toBe(0);

    const key = join(keys, 'aisle-signing.key');
    const v1 = modelDir(1, 'one');
    const first = await runAisle(cwd, 'publish', '--model', v1, '--key', key, '--site', 'demo', ...conn);
    expect(first.code, first.stderr).toBe(0);
    const served = (await (await fetch(`${server.url}/v1/models/anomaly/manifest?site=demo`)).json()) as ModelManifest;
    expect(served.version).toBe(1);
    expect(served.site).toBe('demo');
    await expect(verifySignature(served, [publicKeyBase64(pub)])).resolves.toMatch(/^[0-9a-f]{16}$/);
    const shard = await fetch(`${server.url}/v1/models/shards/${served.shards[1].sha256}`);
    expect(Buffer.from(await shard.arrayBuffer())).toEqual(readFileSync(join(v1, 'weights.bin')));
    expect(shard.headers.get('cache-control')).toContain('immutable');

    // The same version again is refused; --version puts it above, on a canary for half the devices.
    const again = await runAisle(cwd, 'publish', '--model', v1, '--key', key, '--site', 'demo', ...conn);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 version not above the published one.*publish v2/);
    const v2 = modelDir(1, 'two');
    const canary = await runAisle(
      cwd,
      'publish',
      '--model',
      v2,
      '--key',
      key,
      '--site',
      'demo',
      '--version',
      '2',
      '--channel',
      'canary',
      '--rollout',
      '50',
      ...conn,
    );
    expect(canary.code, canary.stderr).toBe(0);
    const forBucket = async (bucket: number) =>
      (
        (await (
          await fetch(`${server.url}/v1/models/anomaly/manifest?site=demo&bucket=${bucket}`)
        ).json()) as ModelManifest
      ).version;
    expect(await forBucket(10)).toBe(2);
    expect(await forBucket(49)).toBe(2);
    expect(await forBucket(50)).toBe(1);
    expect(await forBucket(99)).toBe(1);

    const listed = await runAisle(cwd, 'models', 'list', '--site', 'demo', ...conn);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/anomaly\s*\|\s*1\s*\|.*stable 100 %/);
    expect(listed.stdout).toMatch(/anomaly\s*\|\s*2\s*\|.*canary 50 %.*roc_auc 0\.9700/);

    const rolled = await runAisle(
      cwd,
      'rollback',
      'anomaly',
      '--to',
      '1',
      '--channel',
      'canary',
      '--key',
      key,
      '--site',
      'demo',
      ...conn,
    );
    expect(rolled.code, rolled.stderr).toBe(0);
    const back = (await (
      await fetch(`${server.url}/v1/models/anomaly/manifest?site=demo&channel=canary`)
    ).json()) as ModelManifest;
    expect(back.version).toBe(1);
    expect(back.rollback).toEqual({ from: 2 });
    await verifySignature(back, [publicKeyBase64(pub)]);

    const audit = (await (await admin(server, '/v1/admin/audit?site=demo')).json()) as {
      entries: { action: string; version: number | null }[];
    };
    expect(audit.entries.map((e) => `${e.action} ${e.version ?? ''}`.trim()).reverse()).toEqual([
      'register key',
      'publish 1',
      'publish 2',
      'rollback 1',
    ]);
  });
});

const adapters = await storageAdapters();

describe.each(adapters)('the registry refuses what it must ($name)', (adapter) => {
  let server: TestServer;
  let store: Awaited<ReturnType<(typeof adapters)[number]['open']>>;
  let mine: Awaited<ReturnType<typeof generateSigningKey>>;
  let theirs: typeof mine;
  beforeAll(async () => {
    mine = await generateSigningKey();
    theirs = await generateSigningKey();
    store = await adapter.open();
    server = await startServer(store.storage, {}, []);
    await server.storage.putSite({ key: 'other', name: 'Other', origins: ['https://other.example'], created_at: 1 });
    expect((await post(server, '/v1/admin/sites/demo/keys', { public_key: mine.publicPem })).status).toBe(201);
    expect((await post(server, '/v1/admin/sites/other/keys', { public_key: theirs.publicPem })).status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
    await store.close();
  });

  it('takes a signed manifest once its shards are there, and no other', async () => {
    const dir = modelDir(3, `refusals ${adapter.name}`);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    const signed = await signManifest(manifest, mine.privatePem, 'demo');
    const publish = (m: ModelManifest, token = TOKEN) =>
      post(server, '/v1/admin/models/anomaly/versions', { manifest: m }, token);
    const refused = async (res: Response, status: number, error: RegExp) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string; details: { path: string; message: string }[] };
      expect(body.error).toMatch(error);
      expect(body.details.length).toBeGreaterThan(0);
    };

    await refused(await publish(signed, 'wrong-token'), 401, /invalid operator token/);
    await refused(await publish(signed, ''), 401, /missing operator token/);
    await refused(await publish(signed), 409, /shards missing/);
    await refused(
      await admin(server, `/v1/admin/models/shards/${manifest.shards[0].sha256}`, {
        method: 'PUT',
        body: 'not those bytes',
      }),
      400,
      /does not match its hash/,
    );
    await uploadShards(server, dir, manifest);

    await refused(await publish({ ...signed, version: 4 }), 403, /signature does not verify/); // changed after signing
    await refused(await publish({ ...signed, signature: 'AAAA' }), 403, /signature does not verify/);
    const { signature: _, ...unsigned } = signed;
    await refused(await publish(unsigned as ModelManifest), 400, /invalid input/);
    // Signed by the other site's (registered) key: not a key of this site.
    await refused(
      await publish(await signManifest(manifest, theirs.privatePem, 'demo')),
      403,
      /signature does not verify/,
    );
    // A manifest signed for another site cannot be moved to it either.
    await refused(
      await publish(await signManifest(manifest, mine.privatePem, 'other')),
      403,
      /signature does not verify/,
    );
    await refused(
      await post(server, '/v1/admin/sites/demo/keys', { public_key: 'not a key' }),
      400,
      /not an Ed25519 public key/,
    );
    await refused(
      await post(server, '/v1/admin/sites/nowhere/keys', { public_key: mine.publicPem }),
      404,
      /no such site/,
    );

    expect((await publish(signed)).status).toBe(201);
    // Lower or equal versions, even correctly signed, never replace what is published.
    await refused(
      await publish(await signManifest({ ...manifest, version: 2 }, mine.privatePem, 'demo')),
      409,
      /version not above/,
    );
    await refused(await publish(await signManifest(manifest, mine.privatePem, 'demo')), 409, /version not above/);
    // A rollback needs its own signed mark, from what the channel serves.
    await refused(
      await post(server, '/v1/admin/models/anomaly/rollback', {
        manifest: await signManifest({ ...manifest, version: 2, rollback: { from: 9 } }, mine.privatePem, 'demo'),
      }),
      409,
      /not a rollback of what the channel serves/,
    );

    const served = (await (await fetch(`${server.url}/v1/models/anomaly/manifest?site=demo`)).json()) as ModelManifest;
    expect(served.version).toBe(3);
    expect(served.signature).toBe(signed.signature);
    // A site with nothing published gets the directory's model (none here): 404, not another site's.
    expect((await fetch(`${server.url}/v1/models/anomaly/manifest?site=other`)).status).toBe(404);
  });
});
