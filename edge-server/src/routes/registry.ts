/**
 * @module edge-server/routes/registry — the operator's side of the model registry (all behind the
 * operator token): register a site's public signing keys, upload shards by content hash, publish a
 * signed manifest to a channel with a rollout share, roll a channel back with a signed rollback,
 * list versions with their metrics, read the audit log. Nothing unsigned, mis-signed, signed for
 * another site, or lower than what was published gets in; every action is audited.
 */

import { createHash, createPublicKey } from 'node:crypto';
import { modelHealth } from '@aisle/shared-models/models/health';
import { ManifestError, type ModelManifest, ModelManifestSchema } from '@aisle/shared-models/models/manifest';
import { keyId, verifySignature } from '@aisle/shared-models/models/signing';
import { z } from 'zod';
import type { AdminApp } from '../api/admin';
import { route } from '../api/route';
import { readBody } from '../body';
import { ApiError } from '../errors';
import { jsonBody, parseInput, requireSite } from '../input';
import type { Storage } from '../storage';
import type { ChannelRecord } from '../storage/registry';

const SHA256 = /^[0-9a-f]{64}$/;
/** A shard at most this large (a 1M-item, 64-dim embedding is 256 MB; models here are far smaller). */
const MAX_SHARD_BYTES = 256 * 1024 * 1024;
/** A manifest carries vocabularies and normalisers, never weights: a million-item vocabulary fits. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
export const CHANNELS = ['stable', 'canary'] as const;

/** A manifest as the registry takes it: the shared schema, signed for one site. */
const SignedManifest = ModelManifestSchema.extend({
  site: z.string().min(1).max(64),
  signed_at: z.iso.datetime(),
  signature: z.string().min(1).max(200),
});

const Publish = z.strictObject({
  manifest: SignedManifest,
  channel: z.enum(CHANNELS).default('stable'),
  rollout: z.number().int().min(0).max(100).default(100),
});

const Rollout = z.strictObject({ site: z.string().min(1).max(64), rollout: z.number().int().min(0).max(100) });
const Promote = z.strictObject({
  site: z.string().min(1).max(64),
  version: z.number().int().min(1),
  channel: z.enum(CHANNELS).default('stable'),
  rollout: z.number().int().min(0).max(100).default(100),
});

const KeyInput = z.strictObject({ public_key: z.string().min(1).max(2000) });

/** A PEM or base64 SPKI public key as base64 SPKI bytes; a 400 unless it is Ed25519. */
function ed25519Spki(input: string): string {
  const pem = input.includes('BEGIN PUBLIC KEY')
    ? input
    : `-----BEGIN PUBLIC KEY-----\n${input.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----\n`;
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType} key`);
    return key.export({ type: 'spki', format: 'der' }).toString('base64');
  } catch (cause) {
    throw new ApiError(400, 'not an Ed25519 public key', [
      { path: 'public_key', message: `expected the PEM that aisle keys generate wrote (${(cause as Error).message})` },
    ]);
  }
}

export function registryRoutes(
  admin: AdminApp,
  {
    storage,
    now = Date.now,
    onChannel = () => {},
  }: {
    storage: Storage;
    now?: () => number;
    /** Called after a channel of `name` changed for `site` (publish, promote, rollout, rollback). */
    onChannel?: (site: string, name: string) => void;
  },
) {
  const registry = storage.registry;

  const siteOr404 = (site: string) => requireSite(storage, site);

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/sites/:site/keys',
      summary: 'Register a public signing key (Ed25519) for a site',
      tag: 'Model registry',
      access: 'operator',
      body: KeyInput,
      responses: { 201: '{ site, key_id }', 404: 'no such site' },
    },
    async (c) => {
      const site = c.req.param('site');
      await siteOr404(site);
      const input = parseInput(KeyInput, await jsonBody(c));
      const public_key = ed25519Spki(input.public_key);
      const key_id = await keyId(public_key);
      await registry.putKey({ site, key_id, public_key, created_at: now() });
      await registry.audit({ at: now(), site, action: 'register key', name: null, version: null, detail: { key_id } });
      return c.json({ site, key_id }, 201);
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/sites/:site/keys',
      summary: 'A site’s registered public keys',
      tag: 'Model registry',
      access: 'operator',
      responses: { 200: '{ keys }', 404: 'no such site' },
    },
    async (c) => {
      const site = c.req.param('site');
      await siteOr404(site);
      return c.json({ keys: await registry.keys(site) });
    },
  );

  route(
    admin,
    {
      method: 'put',
      path: '/v1/admin/models/shards/:sha256',
      summary: 'Upload a weight shard by its SHA-256 (content-addressed)',
      tag: 'Model registry',
      access: 'operator',
      body: 'binary',
      responses: { 201: 'stored', 200: 'already stored', 413: 'over 256 MiB' },
    },
    async (c) => {
      const sha = c.req.param('sha256');
      if (!SHA256.test(sha)) {
        throw new ApiError(400, 'invalid shard id', [{ path: 'sha256', message: 'expected 64 lower-case hex digits' }]);
      }
      const bytes = await readBody(c, MAX_SHARD_BYTES);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== sha) {
        throw new ApiError(400, 'shard does not match its hash', [
          { path: 'body', message: `the bytes hash to ${actual}, not ${sha}` },
        ]);
      }
      const added = await registry.putShard(sha, bytes, now());
      return c.json({ sha256: sha, size: bytes.byteLength, added }, added ? 201 : 200);
    },
  );

  /** The checks every manifest passes before devices may get it; the id of the key that signed it. */
  async function admit(manifest: ModelManifest, site: string): Promise<string> {
    await siteOr404(site);
    const keys = await registry.keys(site);
    if (!keys.length) {
      throw new ApiError(403, 'no signing key registered for this site', [
        { path: 'manifest.site', message: `register one first: aisle keys register --site ${site}` },
      ]);
    }
    let signer: string;
    try {
      signer = await verifySignature(
        manifest,
        keys.map((k) => k.public_key),
      );
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      throw new ApiError(403, 'signature does not verify', [
        { path: 'manifest.signature', message: `${error.message} registered for site ${site}` },
      ]);
    }
    const sizes = await registry.shardSizes(manifest.shards.map((s) => s.sha256));
    const missing = manifest.shards.filter((s) => sizes.get(s.sha256) !== s.size);
    if (missing.length) {
      throw new ApiError(
        409,
        'shards missing',
        missing.map((s) => ({
          path: `manifest.shards.${manifest.shards.indexOf(s)}`,
          message: sizes.has(s.sha256)
            ? `${s.path}: stored with ${sizes.get(s.sha256)} bytes, the manifest says ${s.size}`
            : `${s.path} (${s.sha256}) is not uploaded: PUT /v1/admin/models/shards/${s.sha256} first`,
        })),
      );
    }
    return signer;
  }

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/models/:name/versions',
      summary: 'Publish a signed model version to a channel with a rollout share',
      tag: 'Model registry',
      access: 'operator',
      body: Publish,
      responses: {
        201: 'published',
        403: 'signature does not verify',
        409: 'shards missing, or version not above the published one',
      },
    },
    async (c) => {
      const parsed = parseInput(Publish, await jsonBody(c, MAX_MANIFEST_BYTES));
      const { channel, rollout } = parsed;
      const { manifest } = parsed;
      const { site } = manifest;
      if (manifest.name !== c.req.param('name')) {
        throw new ApiError(400, 'model name does not match', [
          {
            path: 'manifest.name',
            message: `the manifest is for ${manifest.name}, the URL says ${c.req.param('name')}`,
          },
        ]);
      }
      if (manifest.rollback) {
        throw new ApiError(400, 'a rollback is not a new version', [
          { path: 'manifest.rollback', message: 'use POST /v1/admin/models/:name/rollback (aisle rollback)' },
        ]);
      }
      const signer = await admit(manifest, site);
      const published = await registry.versions(site, manifest.name);
      const highest = Math.max(0, ...published.map((v) => v.version));
      if (manifest.version <= highest) {
        throw new ApiError(409, 'version not above the published one', [
          {
            path: 'manifest.version',
            message: `${manifest.name} v${highest} is published for ${site}; publish v${highest + 1} or later (aisle publish --version)`,
          },
        ]);
      }
      const text = JSON.stringify(manifest);
      const at = now();
      await registry.putVersion({
        site,
        name: manifest.name,
        version: manifest.version,
        manifest: text,
        created_at: at,
      });
      await registry.setChannel({
        site,
        name: manifest.name,
        channel,
        version: manifest.version,
        rollout,
        manifest: text,
        updated_at: at,
      });
      await registry.audit({
        at,
        site,
        action: 'publish',
        name: manifest.name,
        version: manifest.version,
        detail: { channel, rollout, key_id: signer, shards: manifest.shards.map((s) => s.sha256) },
      });
      onChannel(site, manifest.name);
      return c.json({ site, name: manifest.name, version: manifest.version, channel, rollout }, 201);
    },
  );

  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/models/:name/rollback',
      summary: 'Roll a channel back to an earlier version with a signed rollback manifest',
      tag: 'Model registry',
      access: 'operator',
      body: Publish,
      responses: { 200: 'rolled back', 409: 'not a rollback of what the channel serves' },
    },
    async (c) => {
      const parsed = parseInput(Publish, await jsonBody(c, MAX_MANIFEST_BYTES));
      const { channel } = parsed;
      const { manifest } = parsed;
      const { site } = manifest;
      const name = manifest.name;
      const current = (await registry.channels(site, name)).find((ch) => ch.channel === channel);
      if (!manifest.rollback || !current || manifest.rollback.from !== current.version) {
        throw new ApiError(409, 'not a rollback of what the channel serves', [
          {
            path: 'manifest.rollback.from',
            message: current
              ? `${channel} serves ${name} v${current.version}; a rollback must say rollback: { from: ${current.version} }`
              : `${channel} serves no ${name} for ${site}`,
          },
        ]);
      }
      const target = (await registry.versions(site, name)).find((v) => v.version === manifest.version);
      if (!target || manifest.version >= current.version) {
        throw new ApiError(409, 'no such earlier version', [
          {
            path: 'manifest.version',
            message: `v${manifest.version} is not a published version below v${current.version}`,
          },
        ]);
      }
      if (JSON.stringify((JSON.parse(target.manifest) as ModelManifest).shards) !== JSON.stringify(manifest.shards)) {
        throw new ApiError(409, 'rollback changes the model', [
          { path: 'manifest.shards', message: `the shards are not those of the published v${manifest.version}` },
        ]);
      }
      const signer = await admit(manifest, site);
      const at = now();
      const record: ChannelRecord = {
        site,
        name,
        channel,
        version: manifest.version,
        rollout: parsed.rollout,
        manifest: JSON.stringify(manifest),
        updated_at: at,
      };
      await registry.setChannel(record);
      await registry.audit({
        at,
        site,
        action: 'rollback',
        name,
        version: manifest.version,
        detail: { channel, from: current.version, key_id: signer },
      });
      onChannel(site, name);
      return c.json({ site, name, version: manifest.version, channel, from: current.version }, 201);
    },
  );

  // The share of devices a channel reaches: not part of the signed manifest (devices pick by their
  // own bucket), so the operator changes it without a key.
  route(
    admin,
    {
      method: 'put',
      path: '/v1/admin/models/:name/channels/:channel',
      summary: 'Change a channel’s rollout share',
      tag: 'Model registry',
      access: 'operator',
      body: Rollout,
      responses: { 200: 'the channel' },
    },
    async (c) => {
      const { site, rollout } = parseInput(Rollout, await jsonBody(c));
      await siteOr404(site);
      const name = c.req.param('name');
      const channel = c.req.param('channel');
      const current = (await registry.channels(site, name)).find((ch) => ch.channel === channel);
      if (!current) {
        throw new ApiError(404, 'no such channel', [
          { path: 'channel', message: `${channel} serves no ${name} for ${site}` },
        ]);
      }
      const at = now();
      await registry.setChannel({ ...current, rollout, updated_at: at });
      await registry.audit({
        at,
        site,
        action: 'rollout',
        name,
        version: current.version,
        detail: { channel, from: current.rollout, to: rollout },
      });
      onChannel(site, name);
      return c.json({ site, name, channel, version: current.version, rollout });
    },
  );

  // A published version onto a channel (canary to stable, say), signed as it was published. Moving
  // a channel down is a rollback, which needs a fresh signature (aisle rollback).
  route(
    admin,
    {
      method: 'post',
      path: '/v1/admin/models/:name/promote',
      summary: 'Serve a published version on a channel',
      tag: 'Model registry',
      access: 'operator',
      body: Promote,
      responses: { 200: 'the channel', 409: 'below a version a channel serves' },
    },
    async (c) => {
      const { site, version, channel, rollout } = parseInput(Promote, await jsonBody(c));
      await siteOr404(site);
      const name = c.req.param('name');
      const target = (await registry.versions(site, name)).find((v) => v.version === version);
      if (!target) {
        throw new ApiError(404, 'no such version', [
          { path: 'version', message: `${name} v${version} is not published for ${site}` },
        ]);
      }
      // Devices may hold whatever any channel serves (a device's bucket can move between them), so a
      // version below any of those is a downgrade, whichever channel it goes to: that takes a fresh
      // signature (a rollback mark), never a promotion.
      const channels = await registry.channels(site, name);
      const current = channels.find((ch) => ch.channel === channel);
      const newer = channels.filter((ch) => ch.version > version).sort((a, b) => b.version - a.version)[0];
      if (newer) {
        throw new ApiError(409, 'a lower version is a rollback', [
          {
            path: 'version',
            message: `${newer.channel} serves v${newer.version}; devices refuse v${version} unless re-signed as a rollback: aisle rollback ${name} --to ${version} --site ${site}${channel === 'stable' ? '' : ` --channel ${channel}`}`,
          },
        ]);
      }
      const at = now();
      await registry.setChannel({ site, name, channel, version, rollout, manifest: target.manifest, updated_at: at });
      await registry.audit({
        at,
        site,
        action: 'promote',
        name,
        version,
        detail: { channel, rollout, from: current?.version ?? null },
      });
      onChannel(site, name);
      return c.json({ site, name, channel, version, rollout });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/models',
      summary: 'A site’s models: every version with its metrics, and what each channel serves',
      tag: 'Model registry',
      access: 'read',
      query: z.object({ site: z.string().min(1).max(64) }),
      responses: { 200: '{ models }' },
    },
    async (c) => {
      const site = c.req.query('site') ?? '';
      await siteOr404(site);
      const [versions, channels] = await Promise.all([registry.versions(site), registry.channels(site)]);
      return c.json({
        site,
        models: versions.map((v) => {
          const m = JSON.parse(v.manifest) as ModelManifest;
          return {
            name: v.name,
            version: v.version,
            published_at: new Date(v.created_at).toISOString(),
            created_at: m.created_at,
            key_id: m.key_id ?? null,
            metrics: m.metrics,
            // Its held-out quality against the simple baseline, and whether that is worth acting on.
            health: modelHealth(v.name, m.metrics),
            channels: channels
              .filter((ch) => ch.name === v.name && ch.version === v.version)
              .map((ch) => ({
                channel: ch.channel,
                rollout: ch.rollout,
                rollback: Boolean((JSON.parse(ch.manifest) as ModelManifest).rollback),
              })),
          };
        }),
      });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/models/:name/versions/:version',
      summary: 'One published manifest',
      tag: 'Model registry',
      access: 'operator',
      query: z.object({ site: z.string().min(1).max(64) }),
      responses: { 200: 'the manifest', 404: 'no such version' },
    },
    async (c) => {
      const site = c.req.query('site') ?? '';
      await siteOr404(site);
      const version = Number(c.req.param('version'));
      const found = (await registry.versions(site, c.req.param('name'))).find((v) => v.version === version);
      if (!found) {
        throw new ApiError(404, 'no such version', [
          {
            path: 'version',
            message: `${c.req.param('name')} v${c.req.param('version')} is not published for ${site}`,
          },
        ]);
      }
      return c.json({ manifest: JSON.parse(found.manifest) });
    },
  );

  route(
    admin,
    {
      method: 'get',
      path: '/v1/admin/audit',
      summary: 'The registry’s audit log',
      tag: 'Model registry',
      access: 'operator',
      query: z.object({ site: z.string().max(64).optional() }),
      responses: { 200: '{ entries }' },
    },
    async (c) => {
      const site = c.req.query('site') || undefined;
      return c.json({ entries: await registry.auditLog(site) });
    },
  );
}
