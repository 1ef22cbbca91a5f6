/**
 * The holes an adversarial test found, played again in Chromium: a shopper's page full of half
 * emoji and NULs still drains its outbox into PostgreSQL; a catalogue reaches the widget only
 * signed, and its links only to the shop's own pages; a signed-in shopper proves who they are with
 * the merchant's signature; one shopper's junk never breaks the merchant's dashboard.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyBase64 } from '@aisle/shared-models/models/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityProof } from '../../edge-server/src/routes/me';
import { type OpenServer, serverAdapters } from '../helpers/adapters';
import { runAisle } from '../helpers/aisle';
import {
  type AisleWindow,
  aisleReady,
  chromiumAvailable,
  launch,
  type TestBrowser,
  type TestPage,
  until,
} from '../helpers/browser';
import { makeEvent } from '../helpers/events';
import { startServer, type TestServer, TOKEN, tempSqlite } from '../helpers/server';

const SHOTS = join(process.cwd(), 'test-output', 'hardening');
const TAG = '<script async src="/aisle.js" data-site="demo"></script>';

describe.runIf(chromiumAvailable()).each(await serverAdapters())('a shopper’s odd text on $name', (adapter) => {
  let opened: OpenServer;
  let browser: TestBrowser;
  beforeAll(async () => {
    opened = await adapter.open();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await opened?.close();
  });

  it('cuts by code point and cleans NULs on the device, so the outbox drains and every event is stored', async () => {
    const emoji = `${'x'.repeat(499)}😀`; // cut at 500 UTF-16 units, the old tag kept half the emoji
    const page = await browser.isolatedPage();
    const url = opened.server.page(`<!doctype html><html><head><title>Shop</title>
      <script>window.dataLayer = []; document.title = 'Caf\\u00e9 \\u0000 shop';</script>${TAG}</head><body><h1>Shop</h1></body></html>`);
    await page.goto(url, { waitUntil: 'load' });
    await aisleReady(page);
    await page.evaluate((name) => {
      const w = window as unknown as { dataLayer: unknown[] } & AisleWindow;
      w.dataLayer.push({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'SKU-E', item_name: name }] } });
      w.aisle.track('like', { item_id: 'SKU-N', note: 'a\u0000b', half: '\ud83d', 'k\udc00': 1 });
      w.aisle.track('search', { search_term: `${'y'.repeat(199)}😀` });
    }, emoji);
    await page.evaluate(() => (window as unknown as AisleWindow).aisle.flush());
    const anonymous = await page.evaluate(
      async () => (await (window as unknown as AisleWindow).aisle.history())[0].anonymous_id,
    );
    const stored = await until('every event stored', async () => {
      const mine = (await opened.server.storage.events({ site: 'demo' })).filter(
        (e) => e.event.anonymous_id === anonymous,
      );
      return mine.length >= 4 ? mine.map((e) => e.event) : undefined;
    });
    expect(stored.map((e) => e.type).sort()).toEqual(['add_to_cart', 'like', 'page_view', 'search']);
    expect(stored.find((e) => e.type === 'add_to_cart')?.items?.[0].item_name).toBe('x'.repeat(499));
    expect(stored.find((e) => e.type === 'search')?.search_term).toBe('y'.repeat(199));
    expect(stored.find((e) => e.type === 'like')?.props).toMatchObject({ note: 'ab', half: '\uFFFD' });
    expect(stored.find((e) => e.type === 'page_view')?.page?.title).toMatch(/^Café +shop$/);
    expect((await page.evaluate(() => (window as unknown as AisleWindow).aisle.status())).queued).toBe(0);
    expect(page.errors).toEqual([]);
  }, 60_000);
});

describe.runIf(chromiumAvailable())('the catalogue, signed and linked safely', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let db: ReturnType<typeof tempSqlite>;
  const work = mkdtempSync(join(tmpdir(), 'aisle-catalog-e2e-'));
  const keys = join(work, 'keys');
  const modelsDir = join(work, 'models');
  const cwd = process.cwd();
  beforeAll(async () => {
    expect((await runAisle(cwd, 'keys', 'generate', '--out', keys)).code).toBe(0);
    mkdirSync(modelsDir, { recursive: true });
    db = tempSqlite();
    server = await startServer(db.storage, {
      modelsDir,
      demoKey: publicKeyBase64(readFileSync(join(keys, 'aisle-signing.pub'), 'utf8')),
    });
    const registered = await runAisle(
      cwd,
      'keys',
      'register',
      '--pub',
      join(keys, 'aisle-signing.pub'),
      ...['--site', 'demo', '--server', server.url, '--token', TOKEN],
    );
    expect(registered.code, registered.stderr).toBe(0);
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    db?.remove();
  });

  const items = (prefix: string) => [
    { item_id: `${prefix}-1`, item_name: 'Script link', url: 'javascript:window.__pwned=1' },
    { item_id: `${prefix}-2`, item_name: 'Other site', url: 'https://evil.example/steal' },
    { item_id: `${prefix}-3`, item_name: 'Data link', url: 'data:text/html,<script>alert(1)</script>' },
    { item_id: `${prefix}-4`, item_name: 'Own page', url: '/demo/p/OWN' },
  ];
  /** The widget's links on a fresh visit of the demo home page, once recommendations are drawn. */
  async function visit(again?: TestPage) {
    const page = again ?? (await browser.isolatedPage());
    if (!again) page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${server.url}/demo/?backend=cpu&recs=4`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    const status = await until('the inference worker', async () => {
      const s = await page.evaluate(() => (window as unknown as AisleWindow).aisle.status());
      return s.backend ? s : undefined;
    });
    return { page, status };
  }
  const links = (page: Awaited<ReturnType<typeof visit>>['page']) =>
    page.evaluate(() =>
      [...(document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('a') ?? [])].map((a) => ({
        item: a.getAttribute('data-aisle-item'),
        href: a.getAttribute('href'),
      })),
    );

  it('takes no unsigned catalogue where the tag pins a key', async () => {
    writeFileSync(join(modelsDir, 'catalog.json'), JSON.stringify({ items: items('UNSIGNED') }));
    const { page, status } = await visit();
    expect(status.catalog).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await links(page)).map((l) => l.item)).not.toContain('UNSIGNED-1');
    expect(page.errors).toEqual([]);
  }, 60_000);

  it('shows a signed catalogue, linking only to http(s) pages of the shop itself', async () => {
    const file = join(work, 'catalog.json');
    writeFileSync(file, JSON.stringify({ items: items('SIGNED') }));
    const packed = await runAisle(cwd, 'catalog', 'pack', '--file', file, '--out', join(work, 'catalog'));
    expect(packed.code, packed.stderr).toBe(0);
    const published = await runAisle(
      cwd,
      'publish',
      '--model',
      join(work, 'catalog'),
      '--key',
      join(keys, 'aisle-signing.key'),
      ...['--site', 'demo', '--server', server.url, '--token', TOKEN],
    );
    expect(published.code, published.stderr).toBe(0);
    const { page, status } = await visit();
    expect(status.catalog?.items, JSON.stringify(status)).toBe(4);
    const shown = await until('the catalogue in the widget', async () => {
      const l = await links(page);
      return l.length === 4 ? l : undefined;
    });
    expect(shown).toEqual([
      { item: 'SIGNED-1', href: null },
      { item: 'SIGNED-2', href: null },
      { item: 'SIGNED-3', href: null },
      { item: 'SIGNED-4', href: `${server.url}/demo/p/OWN` },
    ]);
    // Clicking the would-be script link runs nothing.
    await page.evaluate(() => document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelector('a')?.click());
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // A compromised edge serving a catalogue the key never signed: refused, the signed one stays.
    const [channel] = await server.storage.registry.channels('demo', 'catalog');
    const forged = JSON.parse(channel.manifest);
    forged.version += 1;
    await server.storage.registry.setChannel({ ...channel, version: forged.version, manifest: JSON.stringify(forged) });
    // The same shopper's next visit: the edge's offer is refused, the device's signed copy serves.
    const again = await visit(page);
    expect(again.status.catalog).toMatchObject({ items: 4, loadedFrom: 'cache' });
    expect(JSON.stringify(again.status)).toMatch(/catalog: v\d+ refused/);
    expect(page.errors).toEqual([]);
  }, 120_000);
});

describe.runIf(chromiumAvailable())('a signed-in shopper and the merchant’s dashboard', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let db: ReturnType<typeof tempSqlite>;
  beforeAll(async () => {
    db = tempSqlite();
    server = await startServer(db.storage);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    db?.remove();
  });

  it('lets a shopper the merchant signed in read their profile, and nobody who only knows the e-mail', async () => {
    const { secret } = await (
      await fetch(`${server.url}/v1/admin/sites/demo/identity-secret`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
      })
    ).json();
    const user = createHash('sha256').update('demo:jane@example.com').digest('hex');
    await fetch(`${server.url}/v1/admin/profiles`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        site: 'demo',
        kind: 'churn',
        rows: [{ user_id: user, probability: 0.8, flagged: true, reasons: [] }],
      }),
    });
    const me = async (proof?: string) => {
      const page = await browser.isolatedPage();
      await page.goto(server.page(`<!doctype html><html><head>${TAG}</head><body>Account</body></html>`), {
        waitUntil: 'load',
      });
      await aisleReady(page);
      const answer = await page.evaluate(async (p) => {
        const a = (window as unknown as AisleWindow).aisle;
        await a.identify('jane@example.com', p ? { proof: p } : undefined);
        return a.me();
      }, proof);
      await page.close();
      return answer;
    };
    // Someone who knows Jane's e-mail, with no proof or a made-up one: nothing of hers.
    expect(await me()).toMatchObject({ identified: false, churn_band: null });
    expect(await me(identityProof('guess', user))).toMatchObject({ identified: false, churn_band: null });
    // Jane, signed in: the merchant's server put the proof in her page.
    expect(await me(identityProof(secret, user))).toMatchObject({ identified: true, churn_band: 'high' });

    // She signs out on a shared computer: the next person at it reads nothing of hers.
    const page = await browser.isolatedPage();
    await page.goto(server.page(`<!doctype html><html><head>${TAG}</head><body>Account</body></html>`), {
      waitUntil: 'load',
    });
    await aisleReady(page);
    const afterSignOut = await page.evaluate(
      async (p) => {
        const a = (window as unknown as AisleWindow).aisle;
        await a.identify('jane@example.com', { proof: p });
        const signedIn = await a.me();
        await a.identify(null);
        return { signedIn, signedOut: await a.me() };
      },
      identityProof(secret, user),
    );
    expect(afterSignOut.signedIn).toMatchObject({ identified: true });
    expect(afterSignOut.signedOut).toMatchObject({ identified: false, churn_band: null });
    expect(page.errors).toEqual([]);
  }, 60_000);

  it('erases in every open tab of the shop at once: a second tab sends nothing more under the old identity', async () => {
    const context = await browser.browser.createBrowserContext();
    const url = server.page(`<!doctype html><html><head>${TAG}</head><body>Shop</body></html>`);
    const [a, b] = [await context.newPage(), await context.newPage()];
    for (const p of [a, b]) {
      await p.goto(url, { waitUntil: 'load' });
      await aisleReady(p);
    }
    const idOf = (p: typeof a) =>
      p.evaluate(async () => {
        const w = window as unknown as AisleWindow;
        await w.aisle.flush();
        return (await w.aisle.history())[0]?.anonymous_id;
      });
    const before = await idOf(a);
    expect(await idOf(b)).toBe(before);
    await a.evaluate(() => (window as unknown as AisleWindow).aisle.erase());
    await new Promise((r) => setTimeout(r, 300));
    await b.evaluate(() => {
      const w = window as unknown as AisleWindow;
      w.aisle.track('like', { item_id: 'SKU-AFTER' });
      return w.aisle.flush();
    });
    const liked = await until('the like stored', async () =>
      (await server.storage.events({ site: 'demo', limit: 10_000 })).find(
        (e) => e.event.items?.[0]?.item_id === 'SKU-AFTER',
      ),
    );
    expect(liked.event.anonymous_id).not.toBe(before);
    expect(
      (await server.storage.events({ site: 'demo', limit: 10_000 })).filter((e) => e.event.anonymous_id === before),
    ).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows every page of the dashboard whatever a shopper’s events hold', async () => {
    mkdirSync(SHOTS, { recursive: true });
    // What earlier pages still had to send has arrived: the batch below holds the newest event.
    let seen = -1;
    await until(
      'the store to be quiet',
      async () => {
        await new Promise((r) => setTimeout(r, 1500));
        const n = (await server.storage.events({ site: 'demo' })).length;
        const quiet = n === seen;
        seen = n;
        return quiet;
      },
      30_000,
    );
    const hostile = '<img src=x onerror="window.__xss=1">';
    const res = await fetch(`${server.url}/v1/events?site=demo`, {
      method: 'POST',
      body: JSON.stringify({
        events: [
          makeEvent({ type: 'page_view', items: undefined, page: { url: `javascript:${hostile}` } }),
          makeEvent({
            type: 'risk_flag',
            items: undefined,
            props: { score: 'very', model_version: hostile, reasons: `${hostile}, ${'r'.repeat(900)}` },
          }),
          makeEvent({ type: 'rec_impression', props: { model_version: hostile, backend: 'x'.repeat(900) } }),
          makeEvent({ type: 'purchase', value: 12, currency: 'XXX', transaction_id: hostile }),
          // The newest event of all, the one the Install page reads its origin from.
          makeEvent({ type: 'page_view', items: undefined, page: { url: 'not a url at all', title: hostile } }),
        ],
      }),
    });
    expect((await res.json()).accepted).toBe(5);
    const page = await browser.page();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${server.url}/dashboard/`);
    await page.waitForSelector('input[name=token]');
    await page.type('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    for (const name of ['install', 'overview', 'risk', 'recommendations']) {
      await page.evaluate((n) => {
        location.hash = `#/${n}`;
      }, name);
      await page.waitForSelector(`main[data-page="${name}"][data-ready]`, { timeout: 30_000 });
      expect(await page.$('main [role=alert]'), `${name} shows no error`).toBeNull();
      // Nothing a shopper sent widens the page past the window.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: true });
    }
    await page.evaluate(() => {
      location.hash = '#/install';
    });
    await page.waitForSelector('main[data-page="install"][data-ready]');
    expect(await page.$eval('[data-snippet]', (el) => el.textContent)).toContain('data-site="demo"');
    expect(await page.$eval('[data-table="last-events"]', (el) => el.textContent)).toContain('not a url at all');
    expect(await page.$eval('[data-live]', (el) => el.textContent)).toMatch(/^Last event received .* \(page_view\)\.$/);

    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    // The operator makes a new identity secret on the Install page; it is shown once, and proofs made with it link.
    expect(await page.$eval('[data-identity]', (el) => el.getAttribute('data-identity'))).toBe('set');
    await page.click('[data-make-identity]');
    await page.waitForSelector('[data-identity-secret]:not([hidden])');
    const shown = (await page.$eval('[data-identity-secret]', (el) => el.textContent ?? '')).split('\n')[0];
    await page.screenshot({ path: join(SHOTS, 'dashboard-install-identity.png'), fullPage: true });
    const device = `Device ${'d'.repeat(43)}`;
    const user = createHash('sha256').update('demo:sam@example.com').digest('hex');
    const link = await fetch(`${server.url}/v1/me/identity?site=demo`, {
      method: 'POST',
      headers: { Authorization: device, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: user, proof: identityProof(shown, user) }),
    });
    expect(link.status).toBe(204);
    expect(page.errors).toEqual([]);
  }, 90_000);
});
