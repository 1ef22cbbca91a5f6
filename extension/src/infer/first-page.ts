/**
 * @module infer/first-page — the edge's first page as the client reads it: the tag (`./later`) only
 * sends the request, so that it leaves as early as it can; the body is read here, in `aisle-recs.js`,
 * which draws it (the tag stays small). Read no further than a few dozen cards' worth, and only the
 * fields a card has, of their types; the client makes every link and picture safe before drawing it.
 */
import { SIGNALS, type Signal } from '@aisle/shared-models/models/recommender/serve';
import { readAtMost } from '@aisle/shared-models/util/read-at-most';
import type { RecommendResult } from './protocol';

/** What the tag hands the client: the product asked for, the edge's response (or nothing), and when it was asked. */
export interface FirstPageRequest {
  item: string;
  response: Promise<Response | undefined>;
  askedAt: number;
}

/** An answer is a few dozen cards: reading stops past this, and the answer is dropped. */
const MAX_FIRST_PAGE_BYTES = 64 * 1024;

/** The body as text, read no further than `max` bytes (as they arrive, decompressed): undefined past it. */
async function boundedText(res: Response, max: number): Promise<string | undefined> {
  if (Number(res.headers.get('Content-Length')) > max) return undefined;
  const reader = res.body?.getReader();
  const bytes = reader && (await readAtMost(reader, max));
  return bytes && new TextDecoder().decode(bytes);
}

/** The edge's answer, if it has the shape of one. */
export function firstPageResult(doc: unknown, k: number, ms: number): RecommendResult | undefined {
  const d = doc as { model_version?: unknown; items?: unknown; cold?: unknown } | null;
  if (!d || !Array.isArray(d.items) || !d.items.length) return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.length <= 2048 ? v : undefined);
  const items = d.items.slice(0, k).flatMap((raw) => {
    const i = raw as Record<string, unknown> | null;
    const item_id = str(i?.item_id);
    const reason = str(i?.reason);
    if (!i || !item_id || !reason) return [];
    const price = typeof i.price === 'number' && Number.isFinite(i.price) ? i.price : undefined;
    // An edge from before signals were named sends none; an unknown one is not passed on.
    const signal = SIGNALS.includes(i.signal as Signal) ? (i.signal as Signal) : undefined;
    const card = {
      item_id,
      reason,
      signal,
      item_name: str(i.item_name),
      item_category: str(i.item_category),
      price,
      url: str(i.url),
      image: str(i.image),
    };
    return [Object.fromEntries(Object.entries(card).filter(([, v]) => v !== undefined)) as typeof card];
  });
  if (!items.length) return undefined;
  const version = Number(d.model_version);
  return {
    items,
    model_version: Number.isInteger(version) ? version : null,
    backend: 'edge',
    cold: d.cold === true,
    ms,
  };
}

/** The answer in `request`'s response, whole and of the right shape, or undefined; never a rejection. */
export async function readFirstPage(
  request: FirstPageRequest,
  k: number,
  now: () => number,
): Promise<RecommendResult | undefined> {
  try {
    const res = await request.response;
    if (!res?.ok) return undefined;
    const text = await boundedText(res, MAX_FIRST_PAGE_BYTES);
    return text === undefined ? undefined : firstPageResult(JSON.parse(text), k, now() - request.askedAt);
  } catch {
    return undefined;
  }
}
