/** @module test/helpers/browser — headless Chromium as ../shared/WEBGPU.md says to launch it here. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
];

export const chromiumAvailable = () => existsSync(CHROMIUM);

/** A page that keeps its uncaught errors and the warnings and errors it logged (its workers' too). */
export type TestPage = Page & { errors: string[]; console: string[] };

export interface TestBrowser {
  browser: Browser;
  /** A new page that records every uncaught error in the page in `errors`. */
  page(): Promise<TestPage>;
  /** The same, in a fresh browser context: its own IndexedDB and storage, like another shopper. */
  isolatedPage(): Promise<TestPage>;
  close(): Promise<void>;
}

function track(page: Page): TestPage {
  const p = page as TestPage;
  p.errors = [];
  p.console = [];
  p.on('pageerror', (err) => p.errors.push(String((err as Error).message ?? err)));
  p.on('console', (m) => {
    if (['error', 'warn', 'warning'].includes(m.type()))
      p.console.push(`${m.type()}: ${m.text()} (${m.location().url ?? ''})`);
  });
  return p;
}

/** Chromium as here; `webgpu: false` leaves WebGPU off, as on a device without an adapter. */
export async function launch({ webgpu = true } = {}): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'aisle-chromium-'));
  const args = webgpu ? ARGS : ARGS.filter((a) => !/webgpu|swiftshader/.test(a));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, userDataDir });
  return {
    browser,
    page: async () => track(await browser.newPage()),
    isolatedPage: async () => track(await (await browser.createBrowserContext()).newPage()),
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until `fn` resolves truthy, polling; fails with `what` after `ms`. The default is generous:
 * it returns as soon as `fn` holds, and only a failure waits it out, so a CI machine slower than
 * this one (two busy cores, test files side by side) is not mistaken for a broken page.
 */
export async function until<T>(what: string, fn: () => Promise<T> | T, ms = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

/** What tests call on `window.aisle`: the storefront script's own public type. */
import type { AisleWindow } from '@aisle/extension/api';

export type { AisleApi, AisleStatus, AisleWindow } from '@aisle/extension/api';

export const aisleReady = (page: Page) =>
  page.waitForFunction(() => typeof (window as unknown as Partial<AisleWindow>).aisle?.version === 'string');
