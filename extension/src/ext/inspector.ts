/**
 * @module ext/inspector — for merchants checking an install: every event the tag captures on a tab,
 * live, with the shared schema's verdict; the outbox, consent, backend, model versions and
 * inference latency, refreshed every second from the tag itself.
 */
import browser from 'webextension-polyfill';
import { type InspectedEvent, PORT } from './messages';
import { h, time } from './ui';

const tabId = Number(new URLSearchParams(location.search).get('tab'));
const app = document.getElementById('app') as HTMLElement;
const state = h('div', { 'data-state': '' }, h('p', { class: 'muted' }, 'Waiting for the tag…'));
const rows = h('tbody', {});
app.replaceChildren(
  h('h1', {}, `Aisle inspector · tab ${tabId}`),
  state,
  h('h2', {}, 'Events captured on this page'),
  h(
    'table',
    { 'data-table': 'events' },
    h('thead', {}, h('tr', {}, h('th', {}, 'time'), h('th', {}, 'type'), h('th', {}, 'items'), h('th', {}, 'schema'))),
    rows,
  ),
);

const port = browser.runtime.connect({ name: `${PORT.inspector}${tabId}` });
port.onMessage.addListener((raw) => {
  for (const { event, errors, at } of raw as InspectedEvent[]) {
    const items = (event.items as { item_id: string }[] | undefined)?.map((i) => i.item_id).join(', ') ?? '';
    rows.prepend(
      h(
        'tr',
        { 'data-type': String(event.type), 'data-valid': String(!errors.length) },
        h('td', {}, time(at)),
        h('td', {}, String(event.type)),
        h('td', {}, items),
        h(
          'td',
          { class: errors.length ? 'bad' : 'ok' },
          errors.length ? errors.map((e) => `${e.path}: ${e.message}`).join('; ') : 'valid',
        ),
      ),
    );
  }
});

async function poll() {
  try {
    const [result] = await browser.scripting.executeScript({
      target: { tabId },
      world: 'MAIN',
      func: async () => {
        const a = (window as unknown as { aisle?: { status?: () => Promise<unknown> } }).aisle;
        return a?.status ? a.status() : null;
      },
    });
    const s = result?.result as {
      sync: string;
      queued: number;
      consent: { analytics: boolean; personalization: boolean; gpc: boolean };
      backend: string | null;
      models: Record<string, { version: number | null } | undefined>;
      lastInferenceMs?: number;
    } | null;
    if (!s) return;
    state.replaceChildren(
      h(
        'table',
        {},
        h('tr', {}, h('th', {}, 'sync'), h('td', { 'data-sync': s.sync }, s.sync)),
        h('tr', {}, h('th', {}, 'outbox'), h('td', { 'data-queued': String(s.queued) }, `${s.queued} waiting`)),
        h(
          'tr',
          {},
          h('th', {}, 'consent'),
          h(
            'td',
            {},
            `analytics ${s.consent.analytics ? 'yes' : 'no'}, personalisation ${s.consent.personalization ? 'yes' : 'no'}${s.consent.gpc ? ', Global Privacy Control on' : ''}`,
          ),
        ),
        h('tr', {}, h('th', {}, 'backend'), h('td', {}, s.backend ?? 'not started')),
        h(
          'tr',
          {},
          h('th', {}, 'models'),
          h(
            'td',
            {},
            Object.entries(s.models)
              .map(([n, m]) => `${n} v${m?.version ?? '?'}`)
              .join(', ') || 'none',
          ),
        ),
        h(
          'tr',
          {},
          h('th', {}, 'inference'),
          h('td', {}, s.lastInferenceMs === undefined ? '–' : `${s.lastInferenceMs.toFixed(1)} ms`),
        ),
      ),
    );
  } catch {
    // the tab is loading or gone: the next poll tries again
  }
}
void poll();
setInterval(poll, 1000);
