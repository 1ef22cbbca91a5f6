/**
 * @module edge-server/storage/registry — the model registry's records, written once over a minimal
 * SQL interface that both adapters provide (`?` placeholders; PostgreSQL's adapter numbers them):
 * signing keys per site, shards by content hash, every published version, the channels devices
 * read, and the audit log of every registry action.
 */

import type { Sql } from './sql';

export interface SigningKey {
  site: string;
  key_id: string;
  /** Base64 SPKI bytes (the `.pub` PEM's body). */
  public_key: string;
  created_at: number;
}

export interface ChannelRecord {
  site: string;
  name: string;
  channel: string;
  version: number;
  /** Share of devices (0–100, by a stable hash of the anonymous id) this channel reaches. */
  rollout: number;
  /** The signed manifest devices get, as stored. */
  manifest: string;
  updated_at: number;
}

export interface VersionRecord {
  site: string;
  name: string;
  version: number;
  manifest: string;
  created_at: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  site: string;
  action: string;
  name: string | null;
  version: number | null;
  detail: Record<string, unknown>;
}

export interface Registry {
  putKey(key: SigningKey): Promise<void>;
  keys(site: string): Promise<SigningKey[]>;
  /** Stores a shard once (its hash is its name); false when it was there already. */
  putShard(sha256: string, bytes: Uint8Array, at: number): Promise<boolean>;
  shard(sha256: string): Promise<Uint8Array | undefined>;
  /** Which of `hashes` are stored, with their sizes. */
  shardSizes(hashes: readonly string[]): Promise<Map<string, number>>;
  putVersion(v: VersionRecord): Promise<void>;
  versions(site: string, name?: string): Promise<VersionRecord[]>;
  setChannel(c: ChannelRecord): Promise<void>;
  channels(site: string, name?: string): Promise<ChannelRecord[]>;
  audit(entry: Omit<AuditEntry, 'seq'>): Promise<void>;
  auditLog(site?: string, limit?: number): Promise<AuditEntry[]>;
}

const num = (x: unknown) => Number(x);

export function registryOver(sql: Sql): Registry {
  return {
    async putKey(k) {
      await sql.run(
        `INSERT INTO signing_keys (site, key_id, public_key, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, key_id) DO NOTHING`,
        [k.site, k.key_id, k.public_key, k.created_at],
      );
    },
    async keys(site) {
      const rows = await sql.all<SigningKey>(
        'SELECT site, key_id, public_key, created_at FROM signing_keys WHERE site = ? ORDER BY created_at',
        [site],
      );
      return rows.map((r) => ({ ...r, created_at: num(r.created_at) }));
    },
    async putShard(sha256, bytes, at) {
      const known = await sql.all<{ sha256: string }>('SELECT sha256 FROM model_shards WHERE sha256 = ?', [sha256]);
      if (known.length) return false;
      await sql.run(
        'INSERT INTO model_shards (sha256, size, bytes, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING',
        [sha256, bytes.byteLength, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), at],
      );
      return true;
    },
    async shard(sha256) {
      const [row] = await sql.all<{ bytes: Uint8Array }>('SELECT bytes FROM model_shards WHERE sha256 = ?', [sha256]);
      return row ? new Uint8Array(row.bytes) : undefined;
    },
    async shardSizes(hashes) {
      const sizes = new Map<string, number>();
      if (!hashes.length) return sizes;
      const rows = await sql.all<{ sha256: string; size: number }>(
        `SELECT sha256, size FROM model_shards WHERE sha256 IN (${hashes.map(() => '?').join(', ')})`,
        [...hashes],
      );
      for (const r of rows) sizes.set(r.sha256, num(r.size));
      return sizes;
    },
    async putVersion(v) {
      await sql.run('INSERT INTO model_versions (site, name, version, manifest, created_at) VALUES (?, ?, ?, ?, ?)', [
        v.site,
        v.name,
        v.version,
        v.manifest,
        v.created_at,
      ]);
    },
    async versions(site, name) {
      const rows = await sql.all<VersionRecord>(
        `SELECT site, name, version, manifest, created_at FROM model_versions
         WHERE site = ?${name ? ' AND name = ?' : ''} ORDER BY name, version`,
        name ? [site, name] : [site],
      );
      return rows.map((r) => ({ ...r, version: num(r.version), created_at: num(r.created_at) }));
    },
    async setChannel(c) {
      await sql.run(
        `INSERT INTO model_channels (site, name, channel, version, rollout, manifest, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (site, name, channel) DO UPDATE SET version = excluded.version, rollout = excluded.rollout,
           manifest = excluded.manifest, updated_at = excluded.updated_at`,
        [c.site, c.name, c.channel, c.version, c.rollout, c.manifest, c.updated_at],
      );
    },
    async channels(site, name) {
      const rows = await sql.all<ChannelRecord>(
        `SELECT site, name, channel, version, rollout, manifest, updated_at FROM model_channels
         WHERE site = ?${name ? ' AND name = ?' : ''} ORDER BY name, channel`,
        name ? [site, name] : [site],
      );
      return rows.map((r) => ({
        ...r,
        version: num(r.version),
        rollout: num(r.rollout),
        updated_at: num(r.updated_at),
      }));
    },
    async audit(e) {
      await sql.run('INSERT INTO registry_audit (at, site, action, name, version, detail) VALUES (?, ?, ?, ?, ?, ?)', [
        e.at,
        e.site,
        e.action,
        e.name,
        e.version,
        JSON.stringify(e.detail),
      ]);
    },
    async auditLog(site, limit = 1000) {
      const rows = await sql.all<Omit<AuditEntry, 'detail'> & { detail: string }>(
        `SELECT seq, at, site, action, name, version, detail FROM registry_audit
         ${site ? 'WHERE site = ?' : ''} ORDER BY seq DESC LIMIT ?`,
        site ? [site, limit] : [limit],
      );
      return rows.map((r) => ({
        ...r,
        seq: num(r.seq),
        at: num(r.at),
        version: r.version === null ? null : num(r.version),
        detail: JSON.parse(r.detail),
      }));
    },
  };
}
