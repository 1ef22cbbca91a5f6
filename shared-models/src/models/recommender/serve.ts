/**
 * @module shared-models/models/recommender/serve — what a shopper is shown: the recommender's
 * ranking after the merchant's rules and the page's context, each pick with the reason a shopper
 * reads and the score it ranked by. The device serves it on every event; the dashboard's preview
 * runs the very same code on a shopper's history, for every published version side by side.
 */
import { type Interaction, isItemAction, itemSteps, toInteractions } from '../../schema/interaction';
import type { CatalogItem } from '../catalog';
import type { Candidates } from './head';
import type { ExtraItems, RecommenderModel } from './model';

/** One past event as the models read it. */
export interface HistoryEvent {
  type: string;
  ts: number;
  session_id?: string;
  items?: { item_id: string; price?: number; item_category?: string; item_name?: string; item_image?: string }[];
}

export interface RecommendRules {
  k: number;
  /** Only items the catalogue lists as in stock (default true). */
  inStockOnly?: boolean;
  /**
   * Leave out items the shopper bought before (default: true, unless the model's repeat boost is on:
   * a shop of repeat buyers shows them again, and says so). Items bought in this session never come back.
   */
  excludePurchased?: boolean;
  /** Only these categories, when given. */
  categories?: string[];
  /** At most this many per category. */
  perCategory?: number;
  /** Score multipliers by category (1 = none). */
  boosts?: Record<string, number>;
  /** Items never to show (the one on screen, those in the cart). */
  exclude?: string[];
  /** The page's category (a category page's, or the product's on screen): most picks come from it. */
  context?: string;
  /** The product on screen: most picks relate to it (seen with it, or of its kind); the rest say why they are there. */
  item?: string;
  /**
   * Whether a head model may ask the edge for the product on screen's candidates (default true):
   * the device says so only with the shopper's consent to analytics, as for anything that leaves it.
   */
  askEdge?: boolean;
}

export interface Recommendation {
  item_id: string;
  item_name?: string;
  item_category?: string;
  price?: number;
  /** The product's page, where the catalogue says. */
  url?: string;
  /** The product's picture: the catalogue's, else the one the shop showed this shopper. */
  image?: string;
  /** "seen with Kettle", "because you viewed X", "popular in Shoes", … */
  reason: string;
  /**
   * Which signal put it here: `neighbours` (the co-view graph: seen with a product the shopper
   * viewed or has on screen), `sequence` (the network reading the visit's order: what shoppers went
   * on to after such a visit), `graph` (LightGCN's shoppers–items graph: what shoppers whose items
   * were like theirs chose), `content` (the category of what they viewed or have on screen),
   * `popularity` (nothing known of the shopper: what is popular), `history` (their own item, back
   * again). Every pick this code makes names one; an edge from before it was named did not.
   */
  signal?: Signal;
  /** What it ranked by (the model's blended score, after the merchant's boosts); absent for the catalogue's fill. */
  score?: number;
  /** Chosen for the page's product or category rather than for the shopper's history alone. */
  context?: boolean;
}

export const SIGNALS = ['neighbours', 'sequence', 'graph', 'content', 'popularity', 'history'] as const;
export type Signal = (typeof SIGNALS)[number];

/** A reason a shopper reads and the signal it names. */
interface Why {
  reason: string;
  signal: Signal;
}

export interface Served {
  items: Recommendation[];
  /** No history the model knows: the popular items of the context. */
  cold: boolean;
}

/** The products on screen, newest first, whose candidates a head model ranks: item-kNN's recency decay leaves little past these. */
export const RECENT_CANDIDATES = 5;

/** How many of `k` picks the page's context decides: most of them, never all but one of a long row. */
export const contextShare = (k: number) => k - Math.floor(k / 3);

/** Items the shopper put in the cart and has neither removed nor bought since, oldest first. */
export function inCart(events: readonly HistoryEvent[]): string[] {
  const cart = new Set<string>();
  for (const e of events)
    for (const item of e.items ?? []) {
      if (e.type === 'add_to_cart') cart.add(item.item_id);
      else if (e.type === 'remove_from_cart' || e.type === 'purchase') cart.delete(item.item_id);
    }
  return [...cart];
}

/** Events as interchange rows, one per item, oldest first: the shared mapping, for the shopper on this device. */
export function interactionsOf(events: readonly HistoryEvent[]): Interaction[] {
  return [...events]
    .sort((a, b) => a.ts - b.ts)
    .flatMap((e) => toInteractions({ ...e, event_id: '', anonymous_id: 'me', session_id: e.session_id ?? '' }));
}

/**
 * A recommender serving one catalogue: the per-item adjustments each set of rules implies are
 * prepared once and kept (a few sets at a time).
 */
export interface RecommendationServer {
  recommend(history: readonly HistoryEvent[], rules: RecommendRules): Promise<Served>;
}

/**
 * The edge's candidates as a head model ranks them beside its own items. `found`: the answers for
 * the products the shopper had on screen, each with its age (0: the one on screen now, 1: the one
 * before…), their similarities summed with item-kNN's recency decay. Extra items: the neighbours
 * outside the head (less those `skip` says, e.g. already seen), each with its row; `near`: the
 * head's items seen with the products outside it (the head's own table holds its items' neighbours).
 * `strong`: the neighbours of the product on screen (`onScreen`) at least half as similar as its nearest.
 * `from`: per extra item, the product that speaks most for it.
 */
export function extraItems(
  model: RecommenderModel,
  found: readonly { candidates: Candidates; age: number }[],
  skip: (id: string) => boolean = () => false,
  onScreen?: string,
): { ids: string[]; extra: ExtraItems; strong: Set<string>; from: Map<string, string> } {
  const dim = model.manifest.config.dim;
  const decay = model.manifest.knn.decay;
  const extra = new Map<string, { row: Float32Array; score: number; from: string; best: number }>();
  const near = new Map<number, number>();
  const strong = new Set<string>();
  for (const { candidates, age } of found) {
    const w = decay ** age;
    const inHead = model.vocabulary.indexOf(candidates.item) > 0;
    const best = Math.max(0, ...candidates.neighbours.map((n) => n.similarity));
    for (const n of candidates.neighbours) {
      if (!(n.similarity > 0) || n.id === candidates.item) continue;
      const j = model.vocabulary.indexOf(n.id);
      if (j > 0) {
        if (inHead) continue;
        near.set(j, (near.get(j) ?? 0) + w * n.similarity);
      } else if (n.row?.length === dim && !skip(n.id)) {
        const e = extra.get(n.id) ?? { row: n.row, score: 0, from: candidates.item, best: 0 };
        e.score += w * n.similarity;
        if (w * n.similarity > e.best) {
          e.best = w * n.similarity;
          e.from = candidates.item;
        }
        extra.set(n.id, e);
      } else continue;
      if (candidates.item === onScreen && n.similarity >= 0.5 * best) strong.add(n.id);
    }
  }
  const ids = [...extra.keys()];
  const rows = new Float32Array(ids.length * dim);
  ids.forEach((id, r) => {
    rows.set((extra.get(id) as { row: Float32Array }).row, r * dim);
  });
  return {
    ids,
    extra: {
      rows,
      similarity: Float32Array.from(ids, (id) => (extra.get(id) as { score: number }).score),
      near: near.size
        ? { index: Int32Array.from(near.keys()), similarity: Float32Array.from(near.values()) }
        : undefined,
    },
    strong,
    from: new Map(ids.map((id) => [id, (extra.get(id) as { from: string }).from])),
  };
}

/**
 * Where a head model's server gets candidates: for the product on screen (`fetch`: it may ask the
 * edge), or for products on screen before (`fetch` false: only what it already holds, nothing asked).
 * `recent`: every product this ranking reads, newest first; a source that keeps answers keeps no
 * others (what the shopper erased from their history goes from there too).
 */
export type CandidateSource = (
  item: string,
  fetch: boolean,
  recent: readonly string[],
) => Promise<Candidates | undefined>;

export function recommendationServer(
  model: RecommenderModel | undefined,
  catalogue: readonly CatalogItem[],
  candidates?: CandidateSource,
): RecommendationServer {
  const byId = new Map(catalogue.map((i) => [i.item_id, i]));
  const idCategory = (id: string) => byId.get(id)?.item_category;
  const categoryOf = (j: number) => (model ? idCategory(model.vocabulary.ids[j]) : undefined);

  /** One item's score adjustment under the rules: -Infinity where they leave it out, else its category's boost's log. */
  function adjustOf(id: string, rules: RecommendRules, allowed: Set<string> | undefined): number {
    const info = byId.get(id);
    const category = info?.item_category ?? '';
    const boost = rules.boosts?.[category];
    if (byId.size && !info) return Number.NEGATIVE_INFINITY; // not (or no longer) in the catalogue
    if ((rules.inStockOnly ?? true) && info?.in_stock === false) return Number.NEGATIVE_INFINITY;
    if (allowed && !allowed.has(category)) return Number.NEGATIVE_INFINITY;
    return boost && boost > 0 ? Math.log(boost) : 0;
  }

  /** Per item: `adjustOf` for every item of the model. Kept per set of rules. */
  const adjustments = new Map<string, Float32Array>();
  function adjustFor(m: RecommenderModel, rules: RecommendRules): Float32Array {
    const key = JSON.stringify([m.manifest.version, rules.inStockOnly ?? true, rules.categories, rules.boosts]);
    let adjust = adjustments.get(key);
    if (adjust) return adjust;
    const allowed = rules.categories?.length ? new Set(rules.categories) : undefined;
    adjust = new Float32Array(m.vocabulary.size);
    for (let j = 1; j < adjust.length; j++) adjust[j] = adjustOf(m.vocabulary.ids[j], rules, allowed);
    if (adjustments.size >= 8) adjustments.clear();
    adjustments.set(key, adjust);
    return adjust;
  }
  /** The same, with every item outside `keep` left out too; kept per page (`key`), a few at a time. */
  const narrowed = new Map<string, Float32Array>();
  function only(adjust: Float32Array, key: string, keep: (j: number) => boolean): Float32Array {
    let out = narrowed.get(key);
    if (out?.length === adjust.length) return out;
    out = adjust.slice();
    for (let j = 1; j < out.length; j++) if (!keep(j)) out[j] = Number.NEGATIVE_INFINITY;
    if (narrowed.size >= 8) narrowed.clear();
    narrowed.set(key, out);
    return out;
  }

  async function recommend(history: readonly HistoryEvent[], rules: RecommendRules): Promise<Served> {
    const rows = itemSteps(interactionsOf(history).filter(isItemAction));
    const session = history.length ? history.reduce((a, b) => (b.ts >= a.ts ? b : a)).session_id : undefined;
    const boughtNow = new Set(
      rows.filter((r) => r.type === 'purchase' && session && r.session_id === session).map((r) => r.item_id),
    );
    const boughtBefore = new Set(rows.filter((r) => r.type === 'purchase').map((r) => r.item_id));
    const repeats = (model?.manifest.repeat?.weight ?? 0) > 0;
    const excludePurchased = rules.excludePurchased ?? !repeats;
    const seen = new Set(rows.map((r) => r.item_id));
    // The pictures the shop showed this shopper, newest last: where the catalogue has none.
    const shown = new Map<string, string>();
    const named = new Map<string, string>();
    for (const e of history)
      for (const i of e.items ?? []) {
        if (i.item_image) shown.set(i.item_id, i.item_image);
        if (i.item_name) named.set(i.item_id, i.item_name);
      }
    const nameOf = (id: string) => byId.get(id)?.item_name ?? named.get(id) ?? id;

    const exclude = new Set([...(rules.exclude ?? []), ...boughtNow, ...(excludePurchased ? boughtBefore : [])]);
    const allowed = rules.categories?.length ? new Set(rules.categories) : undefined;
    const perCategory = new Map<string, number>();
    const items: Recommendation[] = [];
    const chosen = new Set<string>();
    const take = (id: string, why: () => Why, score?: number, context = false) => {
      if (items.length >= rules.k || exclude.has(id) || chosen.has(id)) return;
      const info = byId.get(id);
      if (byId.size && !info) return; // not (or no longer) in the catalogue
      if ((rules.inStockOnly ?? true) && info?.in_stock === false) return;
      const category = info?.item_category ?? '';
      if (allowed && !allowed.has(category)) return;
      if (rules.perCategory && (perCategory.get(category) ?? 0) >= rules.perCategory) return;
      perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
      chosen.add(id);
      const image = info?.image ?? shown.get(id);
      items.push({
        item_id: id,
        item_name: info?.item_name,
        item_category: info?.item_category,
        price: info?.price,
        url: info?.url,
        ...(image ? { image } : {}),
        ...why(),
        ...(score === undefined ? {} : { score }),
        ...(context ? { context } : {}),
      });
    };

    const m = model;
    const historyIndex = m ? rows.map((r) => m.vocabulary.indexOf(r.item_id)) : [];
    const cold = !historyIndex.some((i) => i > 0);
    // No history the model reads: not even products outside a head by their rows or candidates.
    let servedCold = cold;
    if (m) {
      const types = rows.map((r) => r.type);
      const typeIndex = new Map(m.manifest.types.map((t, i) => [t, i]));
      const historyCategories = new Set(
        rows.map((r) => byId.get(r.item_id)?.item_category ?? r.category).filter(Boolean),
      );
      const onScreen = rules.item ? m.vocabulary.indexOf(rules.item) : 0;
      const withIt = new Set(onScreen > 0 ? m.neighboursOf(onScreen).map((j) => m.vocabulary.ids[j]) : []);
      const screenName = rules.item ? nameOf(rules.item) : '';
      const screenCategory = (rules.item && byId.get(rules.item)?.item_category) || rules.context;
      // A head model: the edge's candidates for the product on screen and those it held for the
      // products on screen before, ranked beside the head's items.
      const extraIds: string[] = [];
      const extraFrom = new Map<string, string>();
      let extra: ExtraItems | undefined;
      let related: ExtraItems | undefined;
      // The history as SASRec reads it: products outside the head by the rows their answers proved.
      let inputIndex = historyIndex;
      let inputRows: Float32Array | undefined;
      if (m.manifest.head && candidates) {
        // Newest first, the product on screen before all (it may not be in the history yet).
        const recent = [
          ...new Set([...(rules.item ? [rules.item] : []), ...rows.map((r) => r.item_id).reverse()]),
        ].slice(0, RECENT_CANDIDATES);
        // Nothing to read: still said, so that a source keeping answers drops those of an erased history.
        if (!recent.length) await candidates('', false, []).catch(() => undefined);
        const found = (
          await Promise.all(
            recent.map(async (id) => {
              const ask = id === rules.item && (rules.askEdge ?? true);
              const c = await candidates(id, ask, recent).catch(() => undefined);
              return c?.item === id ? { candidates: c, age: recent.indexOf(id) } : undefined;
            }),
          )
        ).filter((f) => f !== undefined);
        const tailRows = new Map(
          found
            .filter(
              (f) => f.candidates.row?.length === m.manifest.config.dim && m.vocabulary.indexOf(f.candidates.item) <= 0,
            )
            .map((f, r) => [f.candidates.item, { r, row: f.candidates.row as Float32Array }]),
        );
        if (tailRows.size) {
          inputRows = new Float32Array(tailRows.size * m.manifest.config.dim);
          for (const { r, row } of tailRows.values()) inputRows.set(row, r * m.manifest.config.dim);
          inputIndex = rows.map((row, k) => {
            const tail = tailRows.get(row.item_id);
            return historyIndex[k] > 0 || !tail ? historyIndex[k] : m.vocabulary.size + tail.r;
          });
        }
        if (found.length) {
          const allowed = rules.categories?.length ? new Set(rules.categories) : undefined;
          const cut = extraItems(m, found, (id) => seen.has(id) && !repeats, rules.item);
          extraIds.push(...cut.ids);
          for (const [id, source] of cut.from) extraFrom.set(id, source);
          for (const id of cut.strong) withIt.add(id);
          const adjust = Float32Array.from(extraIds, (id) =>
            exclude.has(id) ? Number.NEGATIVE_INFINITY : adjustOf(id, rules, allowed),
          );
          extra = { ...cut.extra, adjust };
          related = {
            ...extra,
            adjust: adjust.map((a, r) =>
              withIt.has(extraIds[r]) || (!!screenCategory && idCategory(extraIds[r]) === screenCategory)
                ? a
                : Number.NEGATIVE_INFINITY,
            ),
          };
        }
      }
      /** The id of ranked index j: the model's item, or an extra one past its items. */
      const idAt = (j: number) => (j < m.vocabulary.size ? m.vocabulary.ids[j] : extraIds[j - m.vocabulary.size]);
      const idCold = cold && !extra?.near && !extraIds.length && !inputRows;
      servedCold = idCold;

      const lastViewed = rows.length ? nameOf(rows[rows.length - 1].item_id) : '';
      // Whether the network scored this ranking: it has a weight in the blend and an item of the history to read.
      const networkSpoke = m.manifest.blend > 0 && (!cold || !!inputRows);
      const graphNetwork = m.manifest.config.arch === 'lightgcn';
      /** Why the model picked j for this shopper. */
      const personal = (j: number, id: string): Why => {
        if (j >= m.vocabulary.size) {
          const source = extraFrom.get(id) ?? '';
          const reason = seen.has(source)
            ? `because you viewed ${nameOf(source)}`
            : `often viewed with ${nameOf(source)}`;
          return { reason, signal: 'neighbours' };
        }
        if (idCold)
          return {
            reason:
              rules.context && categoryOf(j) === rules.context ? `popular in ${rules.context}` : 'popular in the shop',
            signal: 'popularity',
          };
        if (seen.has(id))
          return {
            reason: boughtBefore.has(id) ? 'you bought this before: buy it again' : 'you looked at this before',
            signal: 'history',
          };
        const at = m.explain(historyIndex, j);
        if (at !== undefined) return { reason: `because you viewed ${nameOf(rows[at].item_id)}`, signal: 'neighbours' };
        const category = byId.get(id)?.item_category;
        if (category && historyCategories.has(category)) return { reason: `more from ${category}`, signal: 'content' };
        // Neither seen with what they viewed nor of its kind: the network's reading of the visit, where it read one;
        // else nothing but popularity ordered it.
        if (!networkSpoke) return { reason: 'popular in the shop', signal: 'popularity' };
        // LightGCN reads no order: what shoppers whose items were like these chose.
        const [one, many, signal]: [string, string, Signal] = graphNetwork
          ? [
              `shoppers who viewed ${lastViewed} chose items like this`,
              'shoppers with tastes like yours chose items like this',
              'graph',
            ]
          : [`shoppers who viewed ${lastViewed} went on to this`, 'where visits like yours went next', 'sequence'];
        return { reason: rows.length === 1 ? one : many, signal };
      };
      /** Why j belongs on this page. */
      const forPage = (j: number, id: string): Why => {
        // Back again (the repeat boost): that says more than the page does.
        if (seen.has(id)) return personal(j, id);
        if (withIt.has(id)) return { reason: `often viewed with ${screenName}`, signal: 'neighbours' };
        if (rules.item && screenCategory && idCategory(id) === screenCategory)
          return { reason: `more ${screenCategory} like ${screenName}`, signal: 'content' };
        if (idCold) return { reason: `popular in ${screenCategory}`, signal: 'popularity' };
        const why = personal(j, id);
        return why.signal === 'neighbours'
          ? why
          : { reason: `picked for you in ${screenCategory}`, signal: why.signal };
      };

      const excluded = [...exclude].map((id) => m.vocabulary.indexOf(id));
      const rank = async (
        adjust: Float32Array,
        size: number,
        upTo: number,
        reason: (j: number, id: string) => Why,
        context = false,
        extras = extra,
      ) => {
        const { index, score } = await m.rankAsync(
          inputIndex,
          types.map((t) => typeIndex.get(t) ?? 0),
          size,
          { adjust, exclude: excluded, extra: extras, rows: inputRows },
        );
        // Scores rounded to 1e-4: float noise between backends must not reorder items the model rates equal.
        const order = Array.from(index, (j, r) => ({ j, s: Math.round(score[r] * 1e4) / 1e4 })).sort(
          (x, y) => y.s - x.s || x.j - y.j,
        );
        for (const { j, s } of order) {
          if (items.length >= upTo) break;
          const id = idAt(j);
          take(id, () => reason(j, id), s, context);
        }
        return index.length === size;
      };
      // The merchant's rules that hold for every item (catalogue, stock, categories, boosts) are
      // scores on the device; only the per-category cap is applied here, over the best few hundred.
      const adjust = adjustFor(m, rules);
      // The page first: on a product page, what is seen with it or of its kind; on a category page, that category.
      if (withIt.size || screenCategory) {
        const key = JSON.stringify([
          m.manifest.version,
          rules.inStockOnly ?? true,
          rules.categories,
          rules.boosts,
          rules.item,
          screenCategory,
          [...withIt].sort(),
        ]);
        const onPage = only(
          adjust,
          key,
          (j) => withIt.has(m.vocabulary.ids[j]) || (!!screenCategory && categoryOf(j) === screenCategory),
        );
        await rank(onPage, 4 * rules.k + 50, contextShare(rules.k), forPage, true, related);
      }
      const size = 4 * rules.k + 200;
      if (items.length < rules.k && (await rank(adjust, size, rules.k, personal)) && items.length < rules.k) {
        await rank(adjust, m.vocabulary.size + extraIds.length, rules.k, personal);
      }
    }
    // No model, or not enough that passes the rules: the catalogue's own order fills the rest.
    for (const info of byId.values()) {
      if (items.length >= rules.k) break;
      take(info.item_id, () => ({ reason: 'popular in the shop', signal: 'popularity' }));
    }
    return { items, cold: servedCold };
  }

  return { recommend };
}
