/**
 * @module capture/shopper — the shopper's side of `/v1/me`: the browser's secret (its anonymous id
 * is derived from it), reading what the server holds, erasing it (remembered until the server
 * confirms), proving a signed-in shopper with the merchant's proof, and signing out.
 */
import { base64url, deviceAnonymousId } from '@aisle/shared-models/schema/ids';
import { siteUrl } from '../core/endpoints';
import type { Logger } from '../core/logger';
import type { Meta } from '../store/db';

export interface Shopper {
  /** Takes up the stored record (or makes the first); the anonymous id it stands for. */
  load(stored: unknown): Promise<string | null>;
  /** What the server holds about this browser (`GET /v1/me`), or null when it cannot be asked. */
  me(): Promise<unknown>;
  /** Lets go of the secret (the server's copy is erased with it) and starts over; the new anonymous id. */
  rotate(): Promise<string | null>;
  /** Erases what the server holds for each secret let go of; remembered until it confirms. */
  eraseDue(): Promise<void>;
  /** Proves `userId` with the merchant's `proof` (when the shopper shares analytics). */
  prove(userId: string, proof: unknown): Promise<void>;
  /** Unlinks what this browser proved (the shopper signed out, or another signed in). */
  unlink(): Promise<void>;
}

/** 32 random bytes, base64url: the secret only this browser holds. */
export const newSecret = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

export function createShopper(
  config: { endpoint: string; site: string },
  /** Keeps the browser's record (in the engine's meta store). */
  keep: (device: Meta['device']) => Promise<unknown>,
  log: Logger,
  analytics: () => boolean,
): Shopper {
  let key: Meta['device'] | undefined;
  const save = async () => key && keep(key);
  /** A request to `/v1/me…` as this browser (or as an earlier `secret`); undefined when the server cannot be reached. */
  const ask = async (path: string, method = 'GET', secret = key?.secret, body?: unknown) => {
    try {
      return await fetch(siteUrl(config.endpoint, `me${path}`, config.site), {
        method,
        headers: { Authorization: `Device ${secret}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      return undefined;
    }
  };
  /** The anonymous id a secret stands for; null where Web Crypto is missing (an insecure page): it cannot be proved there. */
  const idOf = async (secret: string) => (crypto.subtle ? deviceAnonymousId(secret, config.site) : null);

  return {
    async load(stored) {
      // The store hands over this version's record (it upgrades an earlier one's), or none yet.
      key = (stored as Meta['device'] | undefined) ?? { secret: newSecret() };
      if (key !== stored) await save();
      if (key.erase?.length) void this.eraseDue();
      return idOf(key.secret);
    },
    async me() {
      const res = key && crypto.subtle ? await ask('') : undefined;
      return res?.ok ? res.json() : null;
    },
    async rotate() {
      const old = key;
      key = { secret: newSecret(), erase: old ? [...(old.erase ?? []), old.secret] : [] };
      await save();
      await this.eraseDue();
      return idOf(key.secret);
    },
    async eraseDue() {
      const d = key;
      for (const secret of [...(d?.erase ?? [])]) {
        const res = await ask('', 'DELETE', secret);
        if (!res) log.log('warn', 'erasure pending: the server is unreachable');
        else if (res.ok && d) {
          d.erase = d.erase?.filter((s) => s !== secret);
          await save();
        }
      }
    },
    async prove(userId, proof) {
      const d = key;
      if (!d || typeof proof !== 'string' || !analytics() || d.proved?.includes(userId)) return;
      // Offline: proved on a later identify.
      const res = await ask('/identity', 'POST', d.secret, { user_id: userId, proof });
      if (res && !res.ok) return log.log('warn', `aisle.identify: proof refused (${res.status})`);
      if (!res) return;
      d.proved = [...(d.proved ?? []), userId];
      await save();
    },
    async unlink() {
      const d = key;
      // Offline: unlinked on the next identify.
      if (!d?.proved?.length || !(await ask('/identity', 'DELETE'))?.ok) return;
      d.proved = [];
      await save();
    },
  };
}
