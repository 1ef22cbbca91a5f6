/**
 * @module training/commands/registry — the operator's side of signed models: `aisle keys generate`,
 * `aisle keys register`, `aisle publish`, `aisle models list` and `aisle rollback`. Signing happens
 * here, with the private key, never on the server; the server and every device check the signature
 * with the shared `verifySignature`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, type ModelManifest } from '@aisle/shared-models/models/manifest';
import { generateSigningKey, keyId, publicKeyBase64, signManifest as sign } from '@aisle/shared-models/models/signing';
import { DataError } from '../data/errors';
import { call, connection } from '../server';
import { formatTable } from '../table';
import { type Command, intOption, stringOption, UsageError } from './command';
import { pick, SERVER } from './options';

export const PRIVATE_KEY_FILE = 'aisle-signing.key';
export const PUBLIC_KEY_FILE = 'aisle-signing.pub';

/** The shared signer (WebCrypto, `shared-models`), with the CLI's one-line error for a key that is not Ed25519. */
export const signManifest = (...args: Parameters<typeof sign>): Promise<ModelManifest> =>
  sign(...args).catch((error) => {
    throw error instanceof ManifestError ? new DataError(error.message) : error;
  });

const readText = (file: string, what: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new DataError(`cannot read ${what} ${file}`);
  }
};

export const keysGenerate: Command = {
  summary: 'a new Ed25519 signing key pair for publishing models',
  usage: ['--out DIR [--force]'],
  description: `Writes DIR/${PRIVATE_KEY_FILE} (PKCS #8 PEM, keep it secret: it signs models) and
DIR/${PUBLIC_KEY_FILE} (SPKI PEM: register it with aisle keys register, and pin it on the tag as
data-key, whose value is printed). Refuses to overwrite a key pair unless --force.`,
  options: {
    out: { value: 'DIR', help: 'where to write the key pair' },
    force: { help: 'replace a key pair already there' },
  },
  async run(values) {
    const dir = stringOption(values, 'out', true);
    const priv = join(dir, PRIVATE_KEY_FILE);
    if (existsSync(priv) && !values.force) throw new DataError(`${priv} exists; pass --force to replace it`);
    const { privatePem, publicPem } = await generateSigningKey();
    mkdirSync(dir, { recursive: true });
    writeFileSync(priv, privatePem, { mode: 0o600 });
    writeFileSync(join(dir, PUBLIC_KEY_FILE), publicPem);
    const pub = publicKeyBase64(publicPem);
    console.log(`wrote ${priv} and ${join(dir, PUBLIC_KEY_FILE)}`);
    console.log(`key id ${await keyId(pub)}; pin it on the tag: data-key="${pub}"`);
  },
};

export const keysRegister: Command = {
  summary: 'registers a public signing key for a site on the edge server',
  usage: ['--pub FILE --site SITE --server URL [--token TOKEN]'],
  description: 'Models published for SITE must then be signed by this key (or another registered one).',
  options: { pub: { value: 'FILE', help: 'the public key (SPKI PEM)' }, ...pick('site', ...SERVER) },
  async run(values) {
    const conn = connection(values);
    const site = stringOption(values, 'site', true);
    const pem = readText(stringOption(values, 'pub', true), 'public key');
    const out = (await call(conn, `/v1/admin/sites/${encodeURIComponent(site)}/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ public_key: pem }),
    })) as { key_id: string };
    console.log(`registered key ${out.key_id} for site ${site}`);
  },
};

export const publish: Command = {
  summary: 'signs a trained model and uploads it to a channel of the edge server',
  usage: ['--model DIR --key FILE --site SITE --server URL [options]'],
  description: `Reads DIR/manifest.json (as aisle train wrote it), sets the site and signing time, signs it with
the private key, uploads the shards the server lacks, then the manifest. The server refuses it
unless the signature verifies against a key registered for SITE and the version is above every
version published for SITE; --version N sets it (the signature covers it). A canary channel reaches
--rollout percent of devices (by a stable hash of their anonymous id); stable reaches the rest.`,
  options: {
    ...pick('model', 'key', 'site', 'channel', ...SERVER),
    rollout: { value: 'PERCENT', help: 'share of devices the channel reaches', default: '100' },
    version: { value: 'N', help: "the version to publish as (default: the manifest's)" },
  },
  async run(values) {
    const conn = connection(values);
    const dir = stringOption(values, 'model', true);
    const site = stringOption(values, 'site', true);
    const channel = stringOption(values, 'channel') ?? 'stable';
    if (channel !== 'stable' && channel !== 'canary') throw new UsageError('--channel must be stable or canary');
    const rollout = intOption(values, 'rollout', 100, 0);
    if (rollout > 100) throw new UsageError('--rollout is a percentage, 0 to 100');
    const manifest = JSON.parse(readText(join(dir, 'manifest.json'), 'manifest')) as ModelManifest;
    if (values.version !== undefined) manifest.version = intOption(values, 'version', 1);
    const privatePem = readText(stringOption(values, 'key', true), 'private key');
    const signed = await signManifest(manifest, privatePem, site);
    // Shards first, each checked here against the manifest so a damaged file never leaves the machine.
    for (const shard of signed.shards) {
      const bytes = readFileSync(join(dir, shard.path));
      if (createHash('sha256').update(bytes).digest('hex') !== shard.sha256) {
        throw new DataError(`${join(dir, shard.path)} does not match the SHA-256 in the manifest`);
      }
      await call(conn, `/v1/admin/models/shards/${shard.sha256}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
    }
    await call(conn, `/v1/admin/models/${signed.name}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ manifest: signed, channel, rollout }),
    });
    console.log(
      `published ${signed.name} v${signed.version} for ${site} to ${channel} (${rollout} %), signed by ${signed.key_id}`,
    );
  },
};

export const modelsList: Command = {
  summary: "a site's published model versions, their channels and metrics",
  usage: ['--site SITE --server URL [--token TOKEN]'],
  description: 'Lists every published version of every model of the site, its channels, rollout and main metrics.',
  options: pick('site', ...SERVER),
  async run(values) {
    const conn = connection(values);
    const site = stringOption(values, 'site', true);
    const out = (await call(conn, `/v1/admin/models?site=${encodeURIComponent(site)}`)) as {
      models: {
        name: string;
        version: number;
        published_at: string;
        key_id: string | null;
        metrics: Record<string, unknown>;
        channels: { channel: string; rollout: number; rollback: boolean }[];
      }[];
    };
    const metric = (m: Record<string, unknown>) =>
      Object.entries(m)
        .filter(([, v]) => typeof v === 'number')
        .slice(0, 3)
        .map(([k, v]) => `${k} ${(v as number).toFixed(4)}`)
        .join(', ');
    console.log(
      formatTable(
        ['model', 'version', 'published', 'channels', 'key', 'metrics'],
        out.models.map((m) => [
          m.name,
          String(m.version),
          m.published_at.slice(0, 19).replace('T', ' '),
          m.channels.map((c) => `${c.channel} ${c.rollout} %${c.rollback ? ' (rollback)' : ''}`).join(', ') || '-',
          m.key_id ?? '-',
          metric(m.metrics ?? {}) || '-',
        ]),
      ),
    );
  },
};

export const rollback: Command = {
  summary: 'points a channel back at an earlier published version, with a signed rollback',
  usage: ['NAME --to VERSION --key FILE --site SITE --server URL [--channel stable|canary]'],
  description: `Fetches NAME v VERSION as published, marks it as a rollback from what the channel serves now, signs
it again (devices refuse a lower version unless it carries such a signed mark) and puts it on the
channel. Every version stays stored.`,
  positional: { name: 'name', help: 'the model: recommender, anomaly, profile, churn or catalog' },
  options: {
    to: { value: 'VERSION', help: 'the published version to go back to' },
    ...pick('key', 'site', 'channel', ...SERVER),
  },
  async run(values) {
    const conn = connection(values);
    const name = stringOption(values, 'name', true);
    const site = stringOption(values, 'site', true);
    const to = intOption(values, 'to', 1);
    const channel = stringOption(values, 'channel') ?? 'stable';
    const privatePem = readText(stringOption(values, 'key', true), 'private key');
    const q = `site=${encodeURIComponent(site)}`;
    const { manifest } = (await call(conn, `/v1/admin/models/${name}/versions/${to}?${q}`)) as {
      manifest: ModelManifest;
    };
    const listed = (await call(conn, `/v1/admin/models?${q}`)) as {
      models: { name: string; version: number; channels: { channel: string }[] }[];
    };
    const current = listed.models.find((m) => m.name === name && m.channels.some((c) => c.channel === channel));
    if (!current) throw new DataError(`${channel} serves no ${name} for ${site}`);
    const signed = await signManifest({ ...manifest, rollback: { from: current.version } }, privatePem, site);
    await call(conn, `/v1/admin/models/${name}/rollback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ manifest: signed, channel }),
    });
    console.log(`${channel} now serves ${name} v${to} for ${site} (rolled back from v${current.version})`);
  },
};
