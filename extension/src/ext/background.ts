/**
 * @module ext/background — the extension's service worker. It holds no shopper data: it registers
 * the content script for each store the shopper enabled (host permission granted at runtime, for
 * that origin only), swaps in the one-line "paused" script for paused stores, keeps the offscreen
 * host (events and inference for every tab) alive, and forwards what tags capture to inspectors.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import content from './content.ts?script&iife';
import { type InspectedEvent, PORT, scriptId, type ToBackground, type ToOffscreen } from './messages';
import paused from './paused.ts?script&iife';

const OFFSCREEN = 'src/ext/offscreen.html';

interface Offscreen {
  createDocument(p: { url: string; reasons: string[]; justification: string }): Promise<void>;
  hasDocument?(): Promise<boolean>;
}
const offscreen = (globalThis as unknown as { chrome: { offscreen: Offscreen } }).chrome.offscreen;

let creating: Promise<void> | undefined;
async function ensureOffscreen() {
  if (await offscreen.hasDocument?.()) return;
  creating ??= offscreen
    .createDocument({
      url: OFFSCREEN,
      reasons: ['WORKERS'],
      justification: 'keeps each store’s events and runs one inference host for every tab',
    })
    .catch((error: Error) => {
      if (!/single offscreen/i.test(error.message)) throw error;
    })
    .finally(() => {
      creating = undefined;
    });
  await creating;
}

async function pausedOrigins(): Promise<string[]> {
  const { paused: list } = (await browser.storage.local.get('paused')) as { paused?: string[] };
  return list ?? [];
}

/** Registers the content script for `origin` (the paused one while the shopper paused it). */
async function register(origin: string) {
  const id = scriptId(origin);
  const isPaused = (await pausedOrigins()).includes(origin);
  const existing = await browser.scripting.getRegisteredContentScripts({ ids: [id] });
  if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [id] });
  await browser.scripting.registerContentScripts([
    {
      id,
      matches: [`${origin}/*`],
      js: [isPaused ? paused : content],
      runAt: 'document_start',
      persistAcrossSessions: true,
    },
  ]);
}

const inspectors = new Map<number, Set<Runtime.Port>>();

browser.runtime.onMessage.addListener(async (raw: unknown, sender: Runtime.MessageSender) => {
  const message = raw as ToBackground;
  switch (message.type) {
    case 'ensure-offscreen':
      await ensureOffscreen();
      return true;
    case 'enable': {
      // Only an origin the shopper granted: the permission is the record of their choice.
      if (!(await browser.permissions.contains({ origins: [`${message.origin}/*`] }))) return false;
      await register(message.origin);
      return true;
    }
    case 'pause': {
      const list = new Set(await pausedOrigins());
      if (message.paused) list.add(message.origin);
      else list.delete(message.origin);
      await browser.storage.local.set({ paused: [...list] });
      await register(message.origin);
      // The host stops sending what this store still has queued.
      await browser.runtime.sendMessage({ type: 'paused', origins: [...list] } satisfies ToOffscreen).catch(() => {});
      return true;
    }
    case 'paused-origins':
      return pausedOrigins();
    case 'inspect': {
      const tab = sender.tab?.id;
      for (const port of (tab !== undefined && inspectors.get(tab)) || [])
        port.postMessage(message.events as InspectedEvent[]);
      return true;
    }
    default:
      return undefined;
  }
});

browser.runtime.onConnect.addListener((port) => {
  if (!port.name.startsWith(PORT.inspector)) return;
  const tab = Number(port.name.slice(PORT.inspector.length));
  const set = inspectors.get(tab) ?? new Set();
  inspectors.set(tab, set);
  set.add(port);
  port.onDisconnect.addListener(() => set.delete(port));
});

// A store whose permission the shopper withdrew (in the browser's settings) loses its script.
browser.permissions.onRemoved.addListener(async ({ origins = [] }) => {
  const ids = origins.map((o) => scriptId(o.replace(/\/\*$/, '')));
  const registered = await browser.scripting.getRegisteredContentScripts({ ids });
  if (registered.length) await browser.scripting.unregisterContentScripts({ ids: registered.map((r) => r.id) });
});
