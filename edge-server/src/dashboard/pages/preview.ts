/**
 * @module dashboard/pages/preview — a recommendation preview, as Gorse's dashboard has: pick a
 * shopper seen lately (or paste a history), see their recent events and what each published
 * recommender version shows them, side by side, with reasons and scores. The models run here, in
 * the merchant's browser, through the serving code the shopper's device runs (rules, page context,
 * reasons): what the preview shows is what a device would. TensorFlow.js loads with this page only.
 */
import { EVENT_LABELS, label } from '@aisle/shared-models/labels';
import { CATALOG_FILE, type CatalogItem, parseCatalog } from '@aisle/shared-models/models/catalog';
import type { ModelHealth } from '@aisle/shared-models/models/health';
import { deviceShards, type ModelManifest, sha256Hex } from '@aisle/shared-models/models/manifest';
import type {
  Candidates,
  HistoryEvent,
  RecommendationServer,
  RecommenderManifest,
  Served,
  Signal,
} from '@aisle/shared-models/models/recommender';
import { inCart } from '@aisle/shared-models/models/recommender/serve';
import { api, q } from '../api';
import { card, fmt, h, table } from '../dom';
import { healthNote } from '../health';
import type { Page } from './types';

interface Shopper {
  anonymous_id: string;
  last_ts: number;
  last_item: string;
}
interface Version {
  version: number | null;
  published_at?: string;
  channels: { channel: string; rollout: number }[];
  health: ModelHealth | null;
  manifest: RecommenderManifest;
}

/** The item events a pasted history may name: what the recommender reads. */
const PASTABLE = new Set([
  'view_item',
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'select_item',
  'add_to_wishlist',
  'view_item_list',
  'begin_checkout',
]);
/** How many recent events the page lists (the models read up to their own window of them). */
const SHOWN_EVENTS = 20;

/** A public JSON document, or undefined where the server has none. */
async function publicJson<T>(path: string): Promise<T | undefined> {
  const res = await fetch(path);
  return res.ok ? ((await res.json()) as T) : undefined;
}

/** A manifest's files from the public shard route, each checked against its hash. */
async function filesOf(manifest: ModelManifest): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  await Promise.all(
    // What a device fetches: a head model's candidate table stays on the edge, asked one product at a time.
    deviceShards(manifest).map(async (s) => {
      const res = await fetch(`/v1/models/shards/${s.sha256}`);
      if (!res.ok) throw new Error(`shard ${s.path} of v${manifest.version}: ${res.status}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (globalThis.crypto?.subtle && (await sha256Hex(bytes)) !== s.sha256)
        throw new Error(`shard ${s.path} of v${manifest.version} does not match its hash`);
      files.set(s.path, bytes);
    }),
  );
  return files;
}

/** The site's catalogue: the signed one devices take, else the development copy; none is no error. */
async function catalogueOf(site: string): Promise<CatalogItem[]> {
  const manifest = await publicJson<ModelManifest>(q('/v1/models/catalog/manifest', { site }));
  if (manifest?.shards.length) {
    const files = await filesOf(manifest);
    const bytes = files.get(CATALOG_FILE);
    if (bytes) return parseCatalog(JSON.parse(new TextDecoder().decode(bytes)));
  }
  return parseCatalog(await publicJson('/v1/catalog'));
}

/** Decoded models and catalogues, kept while the dashboard is open: a second shopper costs no download. */
const servers = new Map<string, Promise<RecommendationServer>>();
const catalogues = new Map<string, Promise<CatalogItem[]>>();
async function serverFor(site: string, manifest: RecommenderManifest): Promise<RecommendationServer> {
  const key = `${site}/${manifest.shards.map((s) => s.sha256).join()}`;
  let server = servers.get(key);
  if (!server) {
    server = (async () => {
      const [tf, rec] = await Promise.all([
        import('@tensorflow/tfjs'),
        import('@aisle/shared-models/models/recommender'),
      ]);
      // The CPU backend: the same scores as every device backend (the tests hold them equal), no GPU asked for.
      await tf.setBackend('cpu');
      await tf.ready();
      const [files, catalogue] = await Promise.all([filesOf(manifest), catalogues.get(site) ?? catalogueOf(site)]);
      // A head model: the edge's candidates for the pasted products, proven as a device proves them.
      const head = manifest.head;
      const answers = new Map<string, Promise<Candidates | undefined>>();
      const candidates = head
        ? (item: string) => {
            if (!item) return Promise.resolve(undefined);
            let answer = answers.get(item);
            if (!answer) {
              const query = new URLSearchParams({ item, site });
              answer = publicJson(`/v1/models/recommender/${manifest.version}/candidates?${query}`).then((a) =>
                a === undefined ? undefined : rec.verifyCandidates(a, item, head, manifest.config.dim),
              );
              answers.set(item, answer);
              // A failed question is asked again next time; a few hundred answers at most are kept.
              answer.catch(() => answers.delete(item));
              if (answers.size > 300) answers.delete(answers.keys().next().value as string);
            }
            return answer;
          }
        : undefined;
      return rec.recommendationServer(await rec.decodeRecommender(files, manifest), catalogue, candidates);
    })();
    server.catch(() => servers.delete(key));
    servers.set(key, server);
  }
  return server;
}

/** At most this many events (what a device reads), and items per event. */
const MAX_EVENTS = 300;
const MAX_ITEMS = 50;

/** A pasted history that cannot be read: the message names the lines or the fault. */
export class PasteError extends Error {}

/**
 * A pasted history, oldest first: one product id per line (or separated by commas), each
 * optionally after an event type (`add_to_cart SKU-12`); or the JSON the history route answers
 * with (`{ events }`, or the list itself). Everything up to the last purchase is an earlier visit,
 * the rest this one (so a pasted purchase can come back as "buy it again"). Unknown event types,
 * lines of more than two words and JSON that is no history are refused, naming what is wrong.
 */
export function parseHistory(text: string, now = Date.now()): HistoryEvent[] {
  const trimmed = text.trim();
  let events: { type: string; ts?: number; session_id?: string; items: { item_id: string }[] }[];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new PasteError(`not JSON: ${(error as Error).message}`);
    }
    const list = Array.isArray(json) ? json : (json as { events?: unknown } | null)?.events;
    if (!Array.isArray(list)) throw new PasteError('JSON that is no history: expected [events] or { "events": [...] }');
    events = list.flatMap((e: unknown) => {
      const x = e as { type?: unknown; ts?: unknown; session_id?: unknown; items?: unknown } | null;
      if (!x || typeof x.type !== 'string' || !PASTABLE.has(x.type) || !Array.isArray(x.items)) return [];
      const items = x.items
        .filter((i): i is { item_id: string } => typeof (i as { item_id?: unknown })?.item_id === 'string')
        .filter((i) => i.item_id)
        .slice(0, MAX_ITEMS)
        .map((i) => ({ item_id: i.item_id.slice(0, 256) }));
      return items.length
        ? [
            {
              type: x.type,
              ts: typeof x.ts === 'number' && Number.isFinite(x.ts) ? x.ts : undefined,
              session_id: typeof x.session_id === 'string' ? x.session_id.slice(0, 128) : undefined,
              items,
            },
          ]
        : [];
    });
    if (!events.length) throw new PasteError('the JSON holds no event of a product the models read');
  } else {
    const bad: string[] = [];
    events = trimmed
      .split(/[\n,]+/)
      .map((line) => line.trim())
      .filter(Boolean)
      .flatMap((line) => {
        const parts = line.split(/\s+/);
        const [type, id] = parts.length === 1 ? ['view_item', parts[0]] : parts;
        if (parts.length > 2 || !PASTABLE.has(type)) {
          bad.push(line.slice(0, 60));
          return [];
        }
        return [{ type, items: [{ item_id: id.slice(0, 256) }] }];
      });
    if (bad.length)
      throw new PasteError(
        `cannot read ${bad.length === 1 ? 'the line' : `${bad.length} lines`} ${bad
          .slice(0, 3)
          .map((l) => `“${l}”`)
          .join(', ')}: write a product id, or an event (${[...PASTABLE].join(', ')}) and a product id`,
      );
  }
  events = events.slice(-MAX_EVENTS);
  // Times as pasted where every event has one; otherwise a minute apart, in the order given.
  const timed = events.every((e) => e.ts !== undefined);
  const lastPurchase = events.map((e) => e.type).lastIndexOf('purchase');
  return events
    .map((e, i) => ({
      type: e.type,
      ts: timed ? (e.ts as number) : now - 60_000 * (events.length - i),
      session_id: e.session_id ?? (i <= lastPurchase ? 'earlier' : 'now'),
      items: e.items,
    }))
    .sort((a, b) => a.ts - b.ts);
}

const hashQuery = () => new URLSearchParams(location.hash.split('?')[1] ?? '');

export const previewPage: Page = async ({ site, role }) => {
  if (!catalogues.has(site))
    catalogues.set(
      site,
      catalogueOf(site).catch(() => []),
    );
  // One shopper's own visits are the operator's to read; a read-only token pastes a history.
  const operator = role === 'operator';
  const [{ shoppers }, published, catalogue] = await Promise.all([
    operator
      ? api.get<{ shoppers: Shopper[] }>(q('/v1/admin/dashboard/preview/shoppers', { site }))
      : { shoppers: [] as Shopper[] },
    api.get<{ models: Version[]; more: number; shops: string[] }>(q('/v1/admin/dashboard/preview/models', { site })),
    catalogues.get(site) ?? [],
  ]);
  // The shop's address: this server's own where the shop is served from it (the demo), else its first.
  shopOrigin = published.shops.includes(location.origin) ? location.origin : (published.shops[0] ?? location.origin);
  const nameOf = new Map(catalogue.map((i) => [i.item_id, i.item_name]));
  let versions = published.models;
  // Nothing published for the site: what the server serves now (the models directory, in development).
  if (!versions.length) {
    const served = await publicJson<RecommenderManifest>(q('/v1/models/recommender/manifest', { site }));
    if (served) versions = [{ version: null, channels: [], health: null, manifest: served }];
  }

  const asked = operator ? (hashQuery().get('shopper') ?? '') : '';
  const picker = h(
    'select',
    { name: 'shopper', 'aria-label': 'shopper', disabled: !operator },
    h(
      'option',
      { value: '' },
      !operator
        ? 'A shopper’s own history needs the operator token: paste one below'
        : shoppers.length
          ? 'Choose a shopper…'
          : 'No shopper with item events yet',
    ),
    ...shoppers.map((s) =>
      h(
        'option',
        { value: s.anonymous_id, selected: s.anonymous_id === asked },
        `${s.anonymous_id.slice(0, 12)} · last seen with ${nameOf.get(s.last_item) || s.last_item} · ${fmt.time(s.last_ts).slice(0, 16)}`,
      ),
    ),
  );
  if (asked && !shoppers.some((s) => s.anonymous_id === asked))
    picker.append(h('option', { value: asked, selected: true }, asked.slice(0, 40)));
  const pasted = h('textarea', {
    name: 'history',
    rows: 3,
    'aria-label': 'a pasted history',
    placeholder:
      'or paste a history: one product id per line, oldest first (view_item is assumed; write "add_to_cart SKU-00012" for another event)',
  });
  const onPage = h('input', { type: 'checkbox', name: 'on-page', checked: true });
  const k = h(
    'select',
    { name: 'k', 'aria-label': 'how many recommendations' },
    ...[4, 8, 12].map((n) => h('option', { value: n, selected: n === 8 }, `${n} picks`)),
  );
  // The tag's data-per-category, as the shop sets it.
  const perCategory = h(
    'select',
    { name: 'per-category', 'aria-label': 'at most per category' },
    h('option', { value: '' }, 'any number per category'),
    ...[1, 2, 3, 4].map((n) => h('option', { value: n }, `at most ${n} per category`)),
  );
  const show = h('button', { class: 'primary', type: 'submit' }, 'Show recommendations');
  const out = h('div', { 'data-preview': '' });
  const form = h(
    'form',
    { class: 'card preview-form' },
    h('label', {}, 'Shopper ', picker),
    pasted,
    h(
      'div',
      { class: 'toolbar' },
      h('label', {}, onPage, ' as on the page of the product they viewed last'),
      k,
      perCategory,
      show,
    ),
  );

  async function run() {
    const text = pasted.value.trim();
    const shopper = picker.value;
    if (!text && !shopper) {
      out.replaceChildren(h('p', { class: 'muted' }, 'Choose a shopper or paste a history.'));
      return;
    }
    show.disabled = true;
    delete out.dataset.ready;
    out.replaceChildren(h('p', { class: 'muted' }, 'Loading the models and running them here…'));
    try {
      const history = text
        ? parseHistory(text)
        : (
            await api.get<{ events: HistoryEvent[] }>(
              q('/v1/admin/dashboard/preview/history', { site, anonymous_id: shopper }),
            )
          ).events;
      const rules = { k: Number(k.value), perCategory: Number(perCategory.value) || undefined };
      out.replaceChildren(...(await compare(site, versions, history, rules, onPage.checked)));
      out.dataset.ready = 'true';
    } catch (error) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, String((error as Error).message)));
    } finally {
      show.disabled = false;
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!pasted.value.trim() && picker.value && hashQuery().get('shopper') !== picker.value) {
      // A shopper picked: kept in the URL, so the view can be shared.
      location.hash = `#/preview?shopper=${encodeURIComponent(picker.value)}`;
      return;
    }
    void run();
  });
  if (asked) void run();

  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted' },
      'What each published recommender version would show one shopper, worked out here in your browser by the code their device runs: the shop’s rules, the page they are on, and the reason each card gives. Judge a version before you promote it.',
    ),
    published.more > 0
      ? h(
          'p',
          { class: 'muted' },
          `${published.more} older version${published.more === 1 ? '' : 's'} not shown (neither among the newest three nor served by a channel).`,
        )
      : null,
    versions.length
      ? null
      : h(
          'p',
          { class: 'warning', role: 'alert' },
          'No recommender is published for this site yet: train one (aisle train recommender) and publish it (aisle publish).',
        ),
    form,
    out,
  );
};

/** The shopper's events and each version's picks for them, side by side. */
async function compare(
  site: string,
  versions: Version[],
  history: HistoryEvent[],
  { k, perCategory }: { k: number; perCategory?: number },
  onPage: boolean,
): Promise<HTMLElement[]> {
  const names = new Map<string, string>();
  for (const e of history) for (const i of e.items ?? []) if (i.item_name) names.set(i.item_id, i.item_name);
  const lastViewed = [...history].reverse().find((e) => e.type === 'view_item')?.items?.[0]?.item_id;
  const page = onPage ? lastViewed : undefined;
  const results = await Promise.all(
    versions.map(async (v) => {
      try {
        const server = await serverFor(site, v.manifest);
        const started = performance.now();
        const served = await server.recommend(history, {
          k,
          perCategory,
          exclude: [...(page ? [page] : []), ...inCart(history)],
          item: page,
        });
        return { v, served, ms: performance.now() - started };
      } catch (error) {
        return { v, error: String((error as Error).message) };
      }
    }),
  );
  // A pasted history names no product: the catalogue does.
  for (const item of (await catalogues.get(site)?.catch(() => [])) ?? [])
    if (item.item_name && !names.has(item.item_id)) names.set(item.item_id, item.item_name);
  const first = results.find((r) => r.served)?.served;
  const recent = history.slice(-SHOWN_EVENTS).reverse();
  const events = card(
    `Recent events (${fmt.int(history.length)} read, newest first)`,
    page
      ? h(
          'p',
          { class: 'muted' },
          `On the page of ${names.get(page) ?? page}: it is not offered, and most picks relate to it.`,
        )
      : null,
    table(
      ['When', 'What', 'Product'],
      recent.map((e) => [
        fmt.time(e.ts).slice(0, 16),
        label(e.type, EVENT_LABELS),
        (e.items ?? [])
          .slice(0, 3)
          .map((i) => names.get(i.item_id) ?? i.item_id)
          .join(', '),
      ]),
      [],
      { 'data-table': 'preview-events' },
    ),
  );
  const columns = results.map((r) =>
    h(
      'section',
      { class: 'card preview-column', 'data-version': r.v.version ?? 'served' },
      h(
        'h2',
        {},
        r.v.version === null ? 'Served now (unpublished)' : `Version ${r.v.version}`,
        ...r.v.channels.map((ch) =>
          h('span', { class: 'tag' }, `${ch.channel}${ch.rollout < 100 ? ` ${ch.rollout} %` : ''}`),
        ),
      ),
      r.v.health ? healthNote(r.v.health, `recommender-${r.v.version}`) : null,
      r.error
        ? h('p', { class: 'error', role: 'alert' }, `Could not run it: ${r.error}`)
        : h(
            'p',
            { class: 'muted' },
            r.served?.cold ? 'Knows none of these products: the popular ones. ' : '',
            first && r.served && r.served !== first
              ? `${overlap(first, r.served)} of ${k} also in the first column. `
              : '',
            `Worked out in ${Math.max(1, Math.round(r.ms ?? 0))} ms.`,
          ),
      r.served ? picks(r.served) : null,
    ),
  );
  return [events, h('div', { class: 'preview-columns' }, ...columns)];
}

const overlap = (a: Served, b: Served) => {
  const ids = new Set(a.items.map((i) => i.item_id));
  return b.items.filter((i) => ids.has(i.item_id)).length;
};

/** The shop's own address: a catalogue's picture paths are relative to its pages. */
let shopOrigin: string | undefined;

/** A picture's address the page may load: http(s) only, a relative one resolved against the shop's address. */
const picture = (src: string | undefined) => {
  try {
    const url = src ? new URL(src, shopOrigin ?? location.origin) : undefined;
    return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url.href : undefined;
  } catch {
    return undefined;
  }
};

/** Which signal picked a card, as the merchant reads it. */
const SIGNAL_WORDS: Record<Signal, string> = {
  neighbours: 'seen together by other shoppers',
  sequence: 'the order of the visit',
  graph: 'shoppers with similar tastes',
  content: 'the category',
  popularity: 'popularity',
  history: 'their own history',
};

/** One version's picks as cards: picture, name, category and price, reason, score and the signal behind it. */
function picks(served: Served) {
  return h(
    'ol',
    { class: 'picks' },
    ...served.items.map((item) =>
      h(
        'li',
        {
          'data-item': item.item_id,
          'data-score': item.score ?? '',
          'data-signal': item.signal ?? '',
          'data-context': item.context ? 'page' : 'shopper',
        },
        picture(item.image)
          ? h('img', {
              src: picture(item.image),
              alt: '',
              loading: 'lazy',
              // A picture that does not load leaves its place, not a broken image.
              onerror: (e: Event) => (e.target as HTMLElement).replaceWith(h('span', { class: 'pic' })),
            })
          : h('span', { class: 'pic' }),
        h(
          'div',
          {},
          h('b', {}, item.item_name ?? item.item_id),
          h(
            'small',
            { class: 'muted' },
            [item.item_category, item.price === undefined ? undefined : fmt.num(item.price, 2)]
              .filter(Boolean)
              .join(' · '),
          ),
          h('span', { class: 'why' }, item.reason),
          h(
            'small',
            { class: 'score' },
            [
              item.score === undefined ? 'catalogue fill' : `score ${fmt.num(item.score, 3)}`,
              item.signal ? SIGNAL_WORDS[item.signal] : undefined,
            ]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
      ),
    ),
  );
}
