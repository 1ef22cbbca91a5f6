/**
 * @module edge-server/storage/access — merchants' read-only dashboard tokens: each sees one site and
 * changes nothing. Only a token's SHA-256 is stored; the token itself is shown once, at creation.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './sql';

export interface AccessToken {
  /** The first 12 hex digits of the token's hash: enough to name it, useless to sign in with. */
  id: string;
  site: string;
  name: string;
  role: 'reader';
  created_at: number;
}

export interface Access {
  /** A new read-only token for the site: the token (shown once) and its record. */
  create(site: string, name: string, at: number): Promise<{ token: string; record: AccessToken }>;
  find(token: string): Promise<AccessToken | undefined>;
  list(site: string): Promise<AccessToken[]>;
  /** Revokes the token with this id; false when the site has none. */
  revoke(site: string, id: string): Promise<boolean>;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
type Row = { token_hash: string; site: string; name: string; role: string; created_at: unknown };
const record = (r: Row): AccessToken => ({
  id: r.token_hash.slice(0, 12),
  site: r.site,
  name: r.name,
  role: 'reader',
  created_at: Number(r.created_at),
});

export function accessOver(sql: Sql): Access {
  return {
    async create(site, name, at) {
      const token = `aisle_ro_${randomBytes(24).toString('base64url')}`;
      const row: Row = { token_hash: hash(token), site, name, role: 'reader', created_at: at };
      await sql.run('INSERT INTO access_tokens (token_hash, site, name, role, created_at) VALUES (?, ?, ?, ?, ?)', [
        row.token_hash,
        site,
        name,
        row.role,
        at,
      ]);
      return { token, record: record(row) };
    },
    async find(token) {
      const [row] = await sql.all<Row>('SELECT * FROM access_tokens WHERE token_hash = ?', [hash(token)]);
      return row ? record(row) : undefined;
    },
    async list(site) {
      const rows = await sql.all<Row>('SELECT * FROM access_tokens WHERE site = ? ORDER BY created_at', [site]);
      return rows.map(record);
    },
    async revoke(site, id) {
      const rows = await sql.all<Row>('SELECT * FROM access_tokens WHERE site = ?', [site]);
      const found = rows.find((r) => r.token_hash.startsWith(id) && /^[0-9a-f]{12}$/.test(id));
      if (!found) return false;
      await sql.run('DELETE FROM access_tokens WHERE token_hash = ?', [found.token_hash]);
      return true;
    },
  };
}
