/**
 * @module edge-server/compressed — bodies compressed once (gzip and Brotli, off the event loop) and
 * served in the encoding the request prefers: the scripts, the wasm binaries, model shards, manifests
 * and the catalogue, which a shopper's device fetches over whatever network it has.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** A body compressed once, as gzip and Brotli, and chosen by what the client accepts. */
export interface Compressed {
  body: Uint8Array;
  gzip: Uint8Array;
  br: Uint8Array;
}

/**
 * Compresses once for every later request. `quality`: Brotli's, 11 (its best) for scripts that are
 * fetched by every shopper, lower for model weights, whose megabytes would take seconds at 11.
 */
export async function compressOnce(body: Uint8Array, quality = 11): Promise<Compressed> {
  // On zlib's thread pool: a megabyte at Brotli's best takes a second or two, which the event
  // loop (and every request waiting on it) must not spend.
  const [gzip, br] = await Promise.all([
    gzipAsync(body, { level: 9 }),
    brotliAsync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  ]);
  return { body, gzip, br };
}

/** The encoding the request prefers of Brotli and gzip (by its q-values), or the plain body. */
export function encoded(c: Context, body: Compressed): { bytes: Uint8Array; encoding?: 'br' | 'gzip' } {
  const encoding = accepts(c, {
    header: 'Accept-Encoding',
    supports: ['br', 'gzip'],
    default: 'identity',
    // The highest q-value wins; between equals, the smaller encoding (Brotli), whatever the header's order.
    match: (offered, { supports }) => {
      const best = offered
        .filter((a) => a.q > 0 && supports.includes(a.type.toLowerCase()))
        .sort((a, b) => b.q - a.q || supports.indexOf(a.type.toLowerCase()) - supports.indexOf(b.type.toLowerCase()));
      return best[0]?.type.toLowerCase() ?? 'identity';
    },
  });
  if (encoding === 'br' || encoding === 'gzip') return { bytes: body[encoding], encoding };
  return { bytes: body.body };
}

/**
 * Compressed bodies by key (a content hash), kept while they fit in `maxBytes`, the oldest
 * forgotten first; a body being compressed is shared by the requests that wait on it.
 */
export function compressedCache(maxBytes: number, quality?: number) {
  const cache = new Map<string, Promise<Compressed>>();
  const sizes = new Map<string, number>();
  let total = 0;
  /** `valid`, asked on a miss only: whether `body` may be remembered under `key` (else it is compressed for this once). */
  return (key: string, body: Uint8Array, valid: () => boolean = () => true): Promise<Compressed> => {
    const hit = cache.get(key);
    if (hit) return hit;
    const made = compressOnce(body, quality);
    if (!valid()) return made;
    cache.set(key, made);
    // The body and both encodings: weights compress little, so up to about three times the body.
    const size = body.length * 3;
    sizes.set(key, size);
    total += size;
    for (const [old, n] of sizes) {
      if (total <= maxBytes || old === key) break;
      cache.delete(old);
      sizes.delete(old);
      total -= n;
    }
    made.catch(() => {
      if (cache.get(key) === made) {
        cache.delete(key);
        total -= sizes.get(key) ?? 0;
        sizes.delete(key);
      }
    });
    return made;
  };
}

/** Sends `body` in the encoding the request prefers (`Vary` set), with the given type. */
export function sendCompressed(c: Context, body: Compressed, type: string) {
  c.header('Vary', 'Accept-Encoding');
  c.header('Content-Type', type);
  const { bytes, encoding } = encoded(c, body);
  if (encoding) c.header('Content-Encoding', encoding);
  return c.body(new Uint8Array(bytes));
}
