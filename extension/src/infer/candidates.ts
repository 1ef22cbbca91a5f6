/**
 * @module infer/candidates — a head recommender's candidates on the device: for the product on
 * screen, the edge's answer (`GET /v1/models/recommender/:version/candidates?item=`), verified
 * against the Merkle root the signed manifest carries; for the products on screen before, only what
 * was kept when each was on screen (the last few, in IndexedDB), never asked again. A request names
 * the model's version, the site and the product on screen: nothing of the shopper, no cookie, the
 * same request for every shopper on that page, which any cache may answer. The kept answers say
 * which products the shopper looked at: only those the history still holds are kept, and erasing
 * the history (`forgetKept`) takes them all.
 */
import {
  type CandidateSource,
  type Candidates,
  RECENT_CANDIDATES,
  type RecommenderManifest,
  verifyCandidates,
} from '@aisle/shared-models/models/recommender';
import { KEPT_PREFIX, type ModelCache } from './cache';

/**
 * How long a recommendation on a product page waits for its candidates: one round trip on Slow 4G
 * (Lighthouse's 562 ms) and the answer's 10–20 KB; a later answer serves the page's next event.
 */
export const CANDIDATE_WAIT_MS = 1500;
/** An answer is 20 or so leaves of a few hundred bytes with their proofs: anything far past that is refused unread. */
const MAX_ANSWER_BYTES = 256 * 1024;
/** Questions remembered per page (the answers to those in flight or just answered). */
const ASKED = 64;

/** An answer as IndexedDB gave it back: used only if it still has its shape. */
function wellFormed(c: unknown, dim: number): c is Candidates {
  const x = c as Candidates | null;
  const row = (r: unknown) => r === undefined || (r instanceof Float32Array && r.length === dim);
  return (
    !!x &&
    typeof x.item === 'string' &&
    row(x.row) &&
    Array.isArray(x.neighbours) &&
    x.neighbours.every((n) => typeof n?.id === 'string' && Number.isFinite(n.similarity) && row(n.row))
  );
}

export function candidateSource(
  endpoint: string,
  manifest: RecommenderManifest,
  cache: ModelCache | undefined,
  site?: string,
  waitMs = CANDIDATE_WAIT_MS,
): CandidateSource | undefined {
  const head = manifest.head;
  if (!head) return undefined;
  const dim = manifest.config.dim;
  // Per site and model: the extension's one cache serves every shop, and an answer holds for one root only.
  const keptKey = `${KEPT_PREFIX}${site ?? ''}:${head.root}`;
  const asked = new Map<string, Promise<Candidates | undefined>>();
  const kept = new Map<string, Candidates>();
  const loaded = (async () => {
    const stored = await cache?.get<[string, unknown][]>(keptKey).catch(() => undefined);
    if (Array.isArray(stored))
      for (const [item, c] of stored) if (wellFormed(c, dim) && c.item === item) kept.set(item, c);
    // This site's answers under an older model are no use, and they name products the shopper saw.
    const mine = `${KEPT_PREFIX}${site ?? ''}:`;
    for (const key of (await cache?.keys(mine).catch(() => [])) ?? [])
      if (key !== keptKey) await cache?.unset(key).catch(() => {});
  })();
  const store = () => cache?.set(keptKey, [...kept]).catch(() => {});
  const keep = async (item: string, c: Candidates) => {
    kept.delete(item);
    kept.set(item, c);
    while (kept.size > RECENT_CANDIDATES) kept.delete(kept.keys().next().value as string);
    await store();
  };
  /** Only the products the ranking reads, all in the shopper's history: what they erased goes from here too. */
  const retain = async (recent: readonly string[]) => {
    const still = new Set(recent);
    const gone = [...kept.keys()].filter((item) => !still.has(item));
    for (const item of gone) kept.delete(item);
    if (gone.length) await store();
  };

  async function ask(item: string): Promise<Candidates | undefined> {
    const query = new URLSearchParams({ item, ...(site ? { site } : {}) });
    const res = await fetch(`${endpoint}/v1/models/recommender/${manifest.version}/candidates?${query}`, {
      credentials: 'omit',
      // Not in the browser's cache either: a year-long entry per product would outlive an erased history.
      cache: 'no-store',
    });
    if (!res.ok) return undefined; // not an item the model knows, or no candidates: the head alone
    if (Number(res.headers.get('Content-Length')) > MAX_ANSWER_BYTES) throw new Error('candidates: answer too large');
    const text = await res.text();
    if (text.length > MAX_ANSWER_BYTES) throw new Error('candidates: answer too large');
    return verifyCandidates(JSON.parse(text), item, head as NonNullable<typeof head>, dim);
  }

  return async (item, fetchNow, recent) => {
    await loaded;
    await retain(recent);
    const held = kept.get(item);
    if (held || !fetchNow || !item) return held;
    let pending = asked.get(item);
    if (!pending) {
      pending = ask(item).catch(() => undefined);
      asked.set(item, pending);
      while (asked.size > ASKED) asked.delete(asked.keys().next().value as string);
      // A failed question may be asked again on a later event, not on every event of this one.
      pending.then((c) => c === undefined && setTimeout(() => asked.delete(item), 30_000));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    try {
      const answer = await Promise.race([pending, late]);
      // Kept while it is on screen, and again when it comes back on screen.
      if (answer) await keep(item, answer);
      return answer;
    } finally {
      clearTimeout(timer);
    }
  };
}
