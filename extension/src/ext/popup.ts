/**
 * @module ext/popup — the shopper's privacy centre for the store in the current tab: what it
 * captured, their segment and what it means, the recommendations and why, the models and backend;
 * pause capture on this store, erase their data here and on the store's server, and open the
 * install inspector. It asks the store's own tag (`window.aisle`) for what it knows: the same code
 * answers with or without the extension.
 */

// First: zod without code made at run time, which an extension's Content-Security-Policy refuses.
import '@aisle/shared-models/util/no-eval';
import { EVENT_LABELS, label } from '@aisle/shared-models/labels';
import { SEGMENT_MEANINGS } from '@aisle/shared-models/models/profile/model';
import browser from 'webextension-polyfill';
import type { PageInfo, ToBackground, ToContent } from './messages';
import { h, time } from './ui';

interface FromTag {
  status: {
    backend: string | null;
    models: Record<string, { version: number | null; signedBy?: string | null } | undefined>;
    queued: number;
    consent: { analytics: boolean; personalization: boolean };
    lastInferenceMs?: number;
  };
  history: { type: string; ts: number; items?: { item_id: string; item_name?: string }[] }[];
  me: { segment: string | null; churn_band: string | null; events: number } | null;
}

const app = document.getElementById('app') as HTMLElement;
const params = new URLSearchParams(location.search);

async function currentTab() {
  const id = params.get('tab');
  if (id) return browser.tabs.get(Number(id));
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab;
}

/** Runs `func` in the page's own world, where the store's tag is `window.aisle`. */
async function inPage<T>(tabId: number, func: () => Promise<T> | T): Promise<T | undefined> {
  const [result] = await browser.scripting.executeScript({ target: { tabId }, world: 'MAIN', func });
  return result?.result as T | undefined;
}

const send = (m: ToBackground) => browser.runtime.sendMessage(m);

async function render() {
  const tab = await currentTab();
  const tabId = tab?.id;
  const url = tab?.url;
  if (tabId === undefined || !url || !/^https?:/.test(url)) {
    app.replaceChildren(
      h('h1', {}, 'Aisle'),
      h('p', { class: 'muted' }, 'Open a store’s page to see what Aisle keeps for it.'),
    );
    return;
  }
  const origin = new URL(url).origin;
  if (!(await browser.permissions.contains({ origins: [`${origin}/*`] }))) return offer(tabId, origin);
  const pausedHere = ((await send({ type: 'paused-origins' })) as string[]).includes(origin);
  // A paused store runs only the one-line paused script, which answers nothing.
  const info = pausedHere
    ? ({ origin, site: null, endpoint: null, connected: false, recommendations: null } satisfies PageInfo)
    : ((await browser.tabs
        .sendMessage(tabId, { type: 'page' } satisfies ToContent)
        .catch(() => null)) as PageInfo | null);
  if (!info) return offer(tabId, origin);
  const data = pausedHere
    ? undefined
    : await inPage(tabId, async () => {
        const a = (window as unknown as { aisle?: Record<string, (...x: unknown[]) => Promise<unknown>> }).aisle;
        if (!a || typeof a.status !== 'function') return null;
        const [status, history, me] = await Promise.all([a.status(), a.history(500), a.me()]);
        return { status, history, me };
      });
  const tag = data as FromTag | null | undefined;

  const pause = h(
    'button',
    { 'data-action': 'pause' },
    pausedHere ? 'Resume capture on this store' : 'Pause capture on this store',
  );
  pause.addEventListener('click', async () => {
    await send({ type: 'pause', origin, paused: !pausedHere });
    await browser.tabs.reload(tabId);
    setTimeout(render, 800);
  });
  const erase = h(
    'button',
    {
      class: 'danger',
      'data-action': 'erase',
      disabled: !tag,
      title: pausedHere ? 'Resume first: the store’s tag erases, here and on the server' : undefined,
    },
    'Erase my data',
  );
  erase.addEventListener('click', async () => {
    erase.disabled = true;
    await inPage(tabId, async () => {
      await (window as unknown as { aisle: { erase(): Promise<void> } }).aisle.erase();
      return true;
    });
    app.dataset.erased = 'true';
    await render();
  });
  const inspect = h('button', { 'data-action': 'inspect' }, 'Inspect this page');
  inspect.addEventListener(
    'click',
    () => void browser.tabs.create({ url: browser.runtime.getURL(`src/ext/inspector.html?tab=${tabId}`) }),
  );

  const counts = new Map<string, number>();
  for (const e of tag?.history ?? []) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const recs = info.recommendations;
  const models = Object.entries(tag?.status.models ?? {}).filter(([, m]) => m);
  app.replaceChildren(
    h('h1', {}, `Aisle on ${new URL(origin).host}`),
    h(
      'p',
      { class: 'muted', 'data-state': pausedHere ? 'paused' : info.connected ? 'active' : 'idle' },
      pausedHere
        ? 'Paused: nothing is captured or sent on this store.'
        : info.connected
          ? `Active: this store’s events stay in your browser${tag?.status.consent.analytics ? ' and are sent to the store with your consent' : ''}.`
          : 'This page has not started Aisle’s tag yet.',
    ),
    h('div', { class: 'row' }, pause, erase, inspect),
    ...(pausedHere
      ? []
      : [
          h('h2', {}, 'What this store captured'),
          counts.size
            ? h(
                'table',
                { 'data-table': 'counts' },
                ...[...counts]
                  .sort((a, b) => b[1] - a[1])
                  .map(([type, n]) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, label(type, EVENT_LABELS)),
                      h('td', { class: 'num', 'data-count': type }, String(n)),
                    ),
                  ),
              )
            : h('p', { class: 'muted', 'data-table': 'counts' }, 'Nothing kept on this device.'),
          h(
            'ul',
            { 'data-list': 'last' },
            ...(tag?.history ?? [])
              .slice(-5)
              .reverse()
              .map((e) =>
                h(
                  'li',
                  {},
                  `${time(e.ts)} ${label(e.type, EVENT_LABELS)}${e.items?.[0] ? ` · ${e.items[0].item_name ?? e.items[0].item_id}` : ''}`,
                ),
              ),
          ),
          h(
            'p',
            { class: 'muted' },
            `${tag?.status.queued ?? 0} waiting to be sent${tag && !tag.status.consent.analytics ? ' (none will be: no consent to analytics)' : ''}.`,
          ),
          h('h2', {}, 'Your segment'),
          tag?.me?.segment
            ? h(
                'p',
                { 'data-segment': tag.me.segment },
                h('b', {}, tag.me.segment),
                ': ',
                SEGMENT_MEANINGS[tag.me.segment] ?? 'shoppers who behave alike on this store',
              )
            : h('p', { class: 'muted' }, 'Not scored yet: the store groups shoppers a few times a day.'),
          h('h2', {}, 'Recommended for you, and why'),
          recs?.items.length
            ? h(
                'ul',
                { 'data-list': 'recommendations' },
                ...recs.items.map((r) => h('li', {}, h('b', {}, r.item_name ?? r.item_id), ` — ${r.reason}`)),
              )
            : h('p', { class: 'muted' }, 'No recommendations on this page yet.'),
          h('h2', {}, 'Models on this device'),
          h(
            'p',
            { 'data-backend': tag?.status.backend ?? '' },
            `Backend: ${tag?.status.backend ?? 'not started'}${tag?.status.lastInferenceMs !== undefined ? ` · last answer in ${tag.status.lastInferenceMs.toFixed(1)} ms` : ''}`,
          ),
          models.length
            ? h(
                'ul',
                {},
                ...models.map(([name, m]) =>
                  h('li', {}, `${name} v${m?.version ?? '?'}${m?.signedBy ? ` · signed by ${m.signedBy}` : ''}`),
                ),
              )
            : h('p', { class: 'muted' }, 'None loaded yet.'),
        ]),
  );
  app.dataset.ready = 'true';
}

/** A page Aisle is not enabled on: if it carries the tag, offer to enable it (the one host permission it needs). */
async function offer(tabId: number, origin: string) {
  const carries = await inPage(tabId, () => Boolean(document.querySelector('script[data-site][src*="aisle"]'))).catch(
    () => undefined,
  );
  const enable = h('button', { class: 'primary', 'data-action': 'enable' }, `Enable Aisle on ${new URL(origin).host}`);
  enable.addEventListener('click', async () => {
    // Asked here, on the shopper's click, for this store only.
    if (!(await browser.permissions.request({ origins: [`${origin}/*`] }))) return;
    await send({ type: 'enable', origin });
    await browser.tabs.reload(tabId);
    setTimeout(render, 800);
  });
  app.replaceChildren(
    h('h1', {}, 'Aisle'),
    carries === false
      ? h(
          'p',
          { class: 'muted', 'data-state': 'no-tag' },
          'This page does not carry the Aisle tag: there is nothing for Aisle to do here.',
        )
      : h(
          'div',
          { 'data-state': 'offer' },
          h(
            'p',
            {},
            'This store uses Aisle. Enable the extension here to keep its events in one place, share models across stores, and see, pause or erase what it captures.',
          ),
          enable,
        ),
  );
  app.dataset.ready = 'true';
}

void render();
