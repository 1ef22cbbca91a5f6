/**
 * @module edge-server/middleware/client-address — who a client is, for rate limits: the peer's
 * address, or behind trusted proxies the address the outermost of them saw.
 *
 * `X-Forwarded-For` is written by the client first and appended to by each proxy, so only its
 * right-most entries can be trusted: with `trustedHops` proxies in front, the entry that many from
 * the right is the address the first of them saw (the left-most entries are whatever the client
 * wrote). A proxy that sets a header of its own (`X-Real-IP`, `CF-Connecting-IP`) can be named
 * instead. IPv6 clients count by their /64, since one host holds a whole /64 to choose from.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export interface ClientAddressOptions {
  /** How many proxies in front of this server append to `X-Forwarded-For` (default 0: none, use the peer). */
  trustedHops?: number;
  /** A header the trusted proxy sets to the client's address; wins over `X-Forwarded-For`. */
  header?: string;
}

/** An address as a rate-limit key: IPv4-mapped IPv6 as IPv4, other IPv6 by its /64 prefix. */
export function addressKey(address: string): string {
  const a = address
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (!a.includes(':')) return a;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1];
  const [head, tail = ''] = a.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function peer(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not running under @hono/node-server (in-process requests)
  }
}

/** The rate-limit key of a request's client. */
export function clientAddress({ trustedHops = 0, header }: ClientAddressOptions = {}): (c: Context) => string {
  return function clientOf(c) {
    if (header) {
      const value = c.req.header(header)?.split(',')[0]?.trim();
      if (value) return addressKey(value);
    }
    if (trustedHops > 0) {
      const hops = (c.req.header('X-Forwarded-For') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      // Fewer entries than proxies: the request did not come through them all; the peer is all we know.
      if (hops.length >= trustedHops) return addressKey(hops[hops.length - trustedHops]);
    }
    return addressKey(peer(c));
  };
}
