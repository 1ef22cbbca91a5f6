/**
 * A head recommender's candidates, as the edge answers them and a device checks them: for the
 * product on screen only, provably the whole model's rows and neighbours (Merkle proofs under the
 * signed manifest's root), and a JSON 4xx naming the fault for anything else.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecommenderManifest } from '@aisle/shared-models/models/recommender';
import {
  type CandidateAnswer,
  decodeCandidates,
  encodeCandidates,
  merkleLevels,
  merkleRoot,
  verifyCandidates,
} from '@aisle/shared-models/models/recommender';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/src/backend';
import { loadRecommender } from '../training/src/recommender-files';
import { startServer, type TestServer, tempSqlite } from './helpers/server';
import { syntheticModel } from './helpers/synthetic-model';

const ITEMS = 300;
const HEAD = 100;
const modelsDir = join(mkdtempSync(join(tmpdir(), 'aisle-head-')), 'models');
const dir = join(modelsDir, 'recommender');

describe('a head recommender and the edge’s candidates', () => {
  const db = tempSqlite();
  let server: TestServer;
  let manifest: RecommenderManifest;
  const ask = (query: string, version = manifest.version) =>
    fetch(`${server.url}/v1/models/recommender/${version}/candidates?${query}`);
  beforeAll(async () => {
    await useBackend('cpu');
    await syntheticModel(dir, ITEMS, () => ({}), HEAD);
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    server = await startServer(db.storage, { modelsDir });
  }, 60_000);
  afterAll(async () => {
    await server.close();
    db.remove();
  });

  it('ships devices the head only: its items, its manifest naming the edge’s table they never fetch', async () => {
    expect(manifest.items).toHaveLength(HEAD + 1);
    expect(manifest.config.items).toBe(HEAD + 1);
    expect(manifest.head).toMatchObject({ of: ITEMS + 1, shard: 'candidates.bin', width: 20 });
    const table = manifest.shards.find((s) => s.path === 'candidates.bin');
    const weights = manifest.shards.find((s) => s.path === 'weights.bin');
    expect(table && weights && table.size > 3 * weights.size).toBe(true);
    // The trainer's own loader reads the head as a model of HEAD items.
    const model = await loadRecommender(dir);
    expect(model.vocabulary.size).toBe(HEAD + 1);
    model.dispose();
  });

  it('answers a product’s neighbours with proofs a device verifies, the same for everyone, cacheable forever', async () => {
    const tail = 'I250';
    expect(manifest.items).not.toContain(tail);
    const res = await ask(`item=${tail}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const answer = (await res.json()) as CandidateAnswer;
    expect(answer.item).toBe(tail);
    const head = manifest.head as NonNullable<RecommenderManifest['head']>;
    const proven = await verifyCandidates(answer, tail, head, manifest.config.dim);
    expect(proven.neighbours.length).toBeGreaterThan(0);
    expect(proven.row).toHaveLength(manifest.config.dim);
    // Every neighbour outside the head comes with its row; those in the head, which the device holds, without.
    for (const n of proven.neighbours) expect(Boolean(n.row)).toBe(!manifest.items.includes(n.id));
    // Nothing of the asker changes the answer.
    const again = await fetch(`${server.url}/v1/models/recommender/${manifest.version}/candidates?item=${tail}`, {
      headers: { Cookie: 'aisle_id=someone-else', 'X-Forwarded-For': '10.0.0.9' },
    });
    expect(await again.text()).toBe(JSON.stringify(answer));
  });

  it('a device refuses an answer whose row, neighbour, proof or item was changed on the way', async () => {
    const head = manifest.head as NonNullable<RecommenderManifest['head']>;
    const answer = (await (await ask('item=I7')).json()) as CandidateAnswer;
    const check = (a: unknown, item = 'I7') => verifyCandidates(a, item, head, manifest.config.dim);
    await expect(check(answer)).resolves.toMatchObject({ item: 'I7' });
    const leaf = JSON.parse(answer.leaves[0].leaf);
    const altered = (change: (l: typeof leaf) => void) => {
      const copy = structuredClone(leaf);
      change(copy);
      return { ...answer, leaves: [{ ...answer.leaves[0], leaf: JSON.stringify(copy) }, ...answer.leaves.slice(1)] };
    };
    // A neighbour invented, a similarity raised, a row swapped: none is under the root.
    await expect(check(altered((l) => l[2].unshift(['I299', 0.99])))).rejects.toThrow(/not under the model's root/);
    await expect(check(altered((l) => (l[2][0][1] = 1)))).rejects.toThrow(/not under the model's root/);
    await expect(
      check(altered((l) => (l[1] = JSON.parse(answer.leaves[1]?.leaf ?? answer.leaves[0].leaf)[1]))),
    ).rejects.toThrow();
    // A proof cut short, padded, or for another index.
    const proofs = answer.leaves[0].proof;
    for (const proof of [proofs.slice(1), [...proofs, proofs[0]], ['not base64!']]) {
      await expect(check({ ...answer, leaves: [{ ...answer.leaves[0], proof }] })).rejects.toThrow();
    }
    await expect(
      check({ ...answer, leaves: [{ ...answer.leaves[0], index: answer.leaves[0].index + 1 }] }),
    ).rejects.toThrow();
    // Another product's genuine answer is not this one's.
    await expect(check(answer, 'I8')).rejects.toThrow(/not I8/);
    for (const junk of [
      null,
      'x',
      {},
      { leaves: [] },
      { leaves: [{}] },
      { leaves: [{ index: 0, leaf: '[', proof: [] }] },
    ])
      await expect(check(junk)).rejects.toThrow();
  });

  it('answers what it cannot with a JSON 4xx naming the fault', async () => {
    const cases: [string, number, number, RegExp][] = [
      ['item=nope', manifest.version, 404, /unknown item/],
      ['', manifest.version, 400, /./],
      [`item=${'x'.repeat(300)}`, manifest.version, 400, /./],
      ['item=I7', manifest.version + 5, 404, /no such version/],
    ];
    for (const [query, version, status, error] of cases) {
      const res = await ask(query, version);
      expect(res.status, query).toBe(status);
      expect((await res.json()).error).toMatch(error);
    }
    for (const version of ['0', '-1', 'abc', '1.5', '99999999999999999999']) {
      const res = await fetch(`${server.url}/v1/models/recommender/${version}/candidates?item=I7`);
      expect(res.status, version).toBeGreaterThanOrEqual(400);
      expect(res.status, version).toBeLessThan(500);
      expect((await res.json()).error).toBeTruthy();
    }
  });

  it('for a site’s published model, answers only the versions its channels serve now', async () => {
    // As `aisle publish` leaves the registry (the signature is the publish route's check, tested there).
    const registry = db.storage.registry;
    for (const shard of manifest.shards)
      await registry.putShard(shard.sha256, new Uint8Array(readFileSync(join(dir, shard.path))), Date.now());
    const text = JSON.stringify(manifest);
    const now = Date.now();
    await registry.putVersion({ site: 'shop', name: 'recommender', version: 1, manifest: text, created_at: now });
    await registry.setChannel({
      site: 'shop',
      name: 'recommender',
      channel: 'stable',
      version: 1,
      rollout: 100,
      manifest: text,
      updated_at: now,
    });
    const v2 = JSON.stringify({ ...manifest, version: 2 });
    await registry.putVersion({ site: 'shop', name: 'recommender', version: 2, manifest: v2, created_at: now });
    const served = await ask('item=I250&site=shop', 1);
    expect(served.status).toBe(200);
    expect(((await served.json()) as CandidateAnswer).item).toBe('I250');
    // Published, yet on no channel: no device holds it, so nothing is built for it.
    const unserved = await ask('item=I250&site=shop', 2);
    expect(unserved.status).toBe(404);
    expect((await unserved.json()).error).toBe('no such version');
  });

  it('refuses to answer from a candidate table that is not the one the manifest names', async () => {
    // Rewritten on disk after training: the edge finds it is not the signed table and answers nothing from it.
    const path = join(dir, 'candidates.bin');
    const genuine = readFileSync(path);
    const table = decodeCandidates(new Uint8Array(genuine));
    table.similarity[0] = 0.5;
    writeFileSync(path, encodeCandidates(table));
    const other = await startServer(tempSqlite().storage, { modelsDir });
    try {
      const res = await fetch(`${other.url}/v1/models/recommender/${manifest.version}/candidates?item=I1`);
      expect(res.status).toBe(404);
      expect((await res.json()).details[0].message).toMatch(/not stored whole|not the signed one/);
    } finally {
      await other.close();
      writeFileSync(path, genuine);
    }
  });

  it('a candidate table round-trips, and a damaged one is refused with what is wrong', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'candidates.bin')));
    const table = decodeCandidates(bytes);
    expect(merkleRoot(await merkleLevels(table))).toBe(manifest.head?.root);
    expect(encodeCandidates(table)).toEqual(bytes);
    for (const broken of [bytes.subarray(0, 3), bytes.subarray(0, bytes.length - 4), new Uint8Array(64)])
      expect(() => decodeCandidates(broken)).toThrow(/candidates.bin/);
  });
});
