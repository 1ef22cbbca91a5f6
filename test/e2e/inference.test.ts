/**
 * On-device inference in real Chromium on the demo shop: recommendations from the shopper's own
 * history on a forced WebGPU backend (the same as on CPU), the backend the runtime's own
 * calibration picks, models from IndexedDB with the network blocked, a scripted bot flagged and a
 * person not, and a tampered model refused while the last good one keeps serving.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../examples/storefront/catalog';
import { ensureDemoModels } from '../../examples/storefront/models';
import { runAisle } from '../helpers/aisle';
import { type AisleWindow, aisleReady, chromiumAvailable, launch, type TestPage, until } from '../helpers/browser';
import { useServerAndBrowser } from '../helpers/e2e';

const modelsDir = join(mkdtempSync(join(tmpdir(), 'aisle-infer-')), 'models');

const status = (page: TestPage) => page.evaluate(() => (window as unknown as AisleWindow).aisle.status());
const inferenceUp = (page: TestPage) =>
  until('the inference worker', async () => ((await status(page)).backend ? status(page) : undefined), 60_000);
const shown = (page: TestPage) =>
  page.evaluate(() =>
    [...(document.querySelector('[data-aisle-slot="recommendations"]')?.shadowRoot?.querySelectorAll('li') ?? [])].map(
      (li) => li.getAttribute('data-aisle-item') as string,
    ),
  );

/** The widget's items once they have stopped changing (every event of the page has been answered). */
async function settled(page: TestPage, recs: number): Promise<string[]> {
  let last = '';
  let since = Date.now();
  return until('recommendations to settle', async () => {
    const now = (await shown(page)).join();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    return now.split(',').length === recs && now && Date.now() - since > 2500 ? now.split(',') : undefined;
  });
}

/** Records every `aisle.on('recommendations')` a page fires from its start: where it came from and its items. */
async function recordRecommendations(page: TestPage) {
  type Seen = { backend: string | null; items: string[] };
  await page.evaluateOnNewDocument(() => {
    const w = window as unknown as { seen: Seen[]; aisle: unknown[] };
    w.seen = [];
    w.aisle = [
      [
        'on',
        'recommendations',
        (r: { backend: string | null; items: { item_id: string }[] }) =>
          w.seen.push({ backend: r.backend, items: r.items.map((i) => i.item_id) }),
      ],
    ];
  });
  return () => page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
}

const inCategory = (name: string) => PRODUCTS.filter((p) => p.category === name && p.inStock);

describe.runIf(chromiumAvailable())('on-device inference on the demo shop', () => {
  const e2e = useServerAndBrowser({ modelsDir: () => modelsDir });
  beforeAll(async () => {
    await ensureDemoModels(modelsDir, { shoppers: 200, epochs: 3, models: ['recommender', 'anomaly'] }).ready;
  }, 120_000);

  /** A fresh shopper who views `ids` in order on `backend`; resolves with the widget's items after each view. */
  async function browse(ids: string[], backend: string, recs = 4) {
    const page = await e2e.browser.isolatedPage();
    let items: string[] = [];
    const steps: string[][] = [];
    for (const id of ids) {
      const before = items.join();
      await page.goto(`${e2e.server.url}/demo/p/${id}?backend=${backend}&recs=${recs}`, { waitUntil: 'networkidle0' });
      await aisleReady(page);
      await inferenceUp(page);
      await until('recommendations after the view', async () =>
        (await shown(page)).join() !== before ? true : undefined,
      );
      items = await settled(page, recs);
      steps.push(items);
    }
    return { page, items, steps };
  }

  it('recommends from the shopper’s own history on WebGPU, follows them to another category, and agrees with CPU', async () => {
    const shoes = inCategory('Shoes')
      .slice(0, 3)
      .map((p) => p.id);
    const watches = inCategory('Watches')
      .slice(0, 3)
      .map((p) => p.id);
    const onGpu = await browse([...shoes, ...watches], 'webgpu', 10);
    const s = await status(onGpu.page);
    expect(s.backend).toBe('webgpu');
    expect(s.backendChoice?.how).toBe('forced');
    expect(s.models.recommender?.version).toBe(1);
    const category = (id: string) => PRODUCTS.find((p) => p.id === id)?.category;
    // After three pairs of shoes, shoes; after three watches, watches.
    expect(onGpu.steps[2].filter((id) => category(id) === 'Shoes').length).toBeGreaterThanOrEqual(6);
    expect(onGpu.items.filter((id) => category(id) === 'Watches').length).toBeGreaterThanOrEqual(5);
    // Each item carries its reason, and the widget is a list of links a keyboard reaches.
    const reasons = await onGpu.page.evaluate(() =>
      [...(document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('.why') ?? [])].map(
        (e) => e.textContent,
      ),
    );
    expect(
      reasons.every(
        (r) =>
          r &&
          /because you viewed|more from|popular|often viewed with|more \w+ like|looked at|shoppers who viewed|visits like yours|tastes like yours|picked for you/.test(
            r,
          ),
      ),
    ).toBe(true);
    // A first visit, three watches in: some picks are there because of a watch just viewed, and every card names its signal.
    expect(reasons.some((r) => /^because you viewed /.test(r ?? ''))).toBe(true);
    const signals = await onGpu.page.evaluate(() =>
      [...(document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('li') ?? [])].map((e) =>
        e.getAttribute('data-aisle-signal'),
      ),
    );
    expect(signals).toHaveLength(10);
    for (const signal of signals)
      expect(['neighbours', 'sequence', 'graph', 'content', 'popularity', 'history']).toContain(signal);
    expect(
      await onGpu.page.evaluate(
        () => document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('a[href]').length,
      ),
    ).toBe(10);

    const groups = await onGpu.page.evaluate(async () =>
      (await (window as unknown as AisleWindow).aisle.history(50)).map((e) => e.group),
    );
    expect(new Set(groups)).toEqual(new Set(['treatment']));

    // The same history on the CPU backend gives the same top 10.
    const onCpu = await browse([...shoes, ...watches], 'cpu', 10);
    expect((await status(onCpu.page)).backend).toBe('cpu');
    expect(onCpu.items).toEqual(onGpu.items);
    expect(onGpu.page.errors).toEqual([]);
  }, 240_000);

  it('on a product page, most picks relate to it, the rest say why, and every card shows the shop’s picture', async () => {
    const shoes = inCategory('Shoes')
      .slice(0, 3)
      .map((p) => p.id);
    const kettle = inCategory('Kitchen').find((p) => p.name.includes('Kettle'));
    if (!kettle) throw new Error('the demo sells no kettle');
    const { page, items } = await browse([...shoes, kettle.id], 'wasm', 4);
    const cards = await page.evaluate(() =>
      [...(document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('li') ?? [])].map((li) => {
        const img = li.querySelector('img');
        return {
          id: li.getAttribute('data-aisle-item') as string,
          name: li.querySelector('.name')?.textContent,
          why: li.querySelector('.why')?.textContent ?? '',
          src: img?.getAttribute('src'),
        };
      }),
    );
    const product = (id: string) => PRODUCTS.find((p) => p.id === id);
    // A shoe shopper on a kettle's page: most of the four are about the kettle, not more shoes.
    const related = cards.filter(
      (c) => product(c.id)?.category === 'Kitchen' || c.why === `often viewed with ${kettle.name}`,
    );
    expect(related.length, JSON.stringify(cards)).toBeGreaterThanOrEqual(3);
    expect(items).not.toContain(kettle.id);
    for (const c of cards) {
      expect(c.name).toBe(product(c.id)?.name);
      expect(c.why).not.toBe('');
      expect(c.src).toMatch(new RegExp(`/demo/img/${c.id}\\.svg$`));
    }
    await until('the pictures to load', async () =>
      (await page.evaluate(() =>
        [...(document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('img') ?? [])].every(
          (img) => img.complete && img.naturalWidth > 0,
        ),
      ))
        ? true
        : undefined,
    );
    // The shop's own pictures were captured as its lists showed them (the `<img>` in each listed product).
    // (A list is seen when it comes into view.)
    await page.evaluate(() => document.querySelector('[data-aisle-list]')?.scrollIntoView());
    const events = await until('the list seen', async () => {
      const all = await page.evaluate(async () => (window as unknown as AisleWindow).aisle.history(100));
      return all.some((e) => e.type === 'view_item_list') ? all : undefined;
    });
    const listed = events.filter((e) => e.type === 'view_item_list').flatMap((e) => e.items ?? []);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((i) => /^http:\/\/[^/]+\/demo\/img\/SKU-\d+\.svg$/.test(i.item_image ?? ''))).toBe(true);
    expect(page.errors).toEqual([]);
  }, 180_000);

  it('never recommends what is already in the shopper’s cart', async () => {
    const kitchen = inCategory('Kitchen')
      .slice(0, 4)
      .map((p) => p.id);
    // A shopper who viewed the same products, without a cart: what the widget offers on the last one.
    const looked = await browse(kitchen, 'wasm', 10);
    const carted = kitchen.slice(0, 3).find((id) => looked.items.includes(id));
    expect(carted, 'a product viewed earlier is among the picks').toBeDefined();
    // The same views, with that product put in the cart on its page.
    const page = await e2e.browser.isolatedPage();
    for (const id of kitchen) {
      await page.goto(`${e2e.server.url}/demo/p/${id}?backend=wasm&recs=10`, { waitUntil: 'networkidle0' });
      await aisleReady(page);
      await inferenceUp(page);
      if (id === carted) await page.click('#add');
    }
    const items = await settled(page, 10);
    expect(items).not.toContain(carted);
    expect(items).not.toContain(kitchen[3]);
  }, 180_000);

  it('left to choose, serves a first visit from wasm at once, then calibrates and the next page takes the fastest', async () => {
    const page = await e2e.browser.isolatedPage();
    await page.goto(`${e2e.server.url}/demo/`, { waitUntil: 'networkidle0' });
    const s = await inferenceUp(page);
    // Nothing fetched or timed before the first recommendation but the backend it starts on.
    expect(s.backendChoice?.how).toBe('first-visit');
    expect(s.backend).toBe('wasm');
    // After it, a worker of its own timed every backend that starts here and remembered the fastest.
    const calibrated = await until('the calibration', async () => (await status(page)).calibration, 60_000);
    const timings = calibrated.timings ?? {};
    expect(Object.keys(timings).length).toBeGreaterThanOrEqual(2);
    const fastest = Object.entries(timings).sort((a, b) => a[1] - b[1])[0][0];
    expect(calibrated.backend).toBe(fastest);
    // On this machine WebGPU runs on a software adapter: calibration must not have taken it.
    expect(calibrated.backend).not.toBe('webgpu');
    await page.reload({ waitUntil: 'networkidle0' });
    const again = await inferenceUp(page);
    expect(again.backendChoice?.how).toBe('remembered');
    expect(again.backend).toBe(fastest);
  }, 120_000);

  it('on a device without a WebGPU adapter, serves from another backend and writes nothing to the shop’s console', async () => {
    const bare = await launch({ webgpu: false });
    try {
      for (const query of ['', '?backend=webgpu']) {
        const page = await bare.isolatedPage();
        await page.goto(`${e2e.server.url}/demo/p/${inCategory('Bags')[0].id}${query}`, { waitUntil: 'networkidle0' });
        await aisleReady(page);
        const s = await inferenceUp(page);
        expect(s.backend).not.toBe('webgpu');
        await until('recommendations', async () => ((await shown(page)).length === 4 ? true : undefined));
        if (query) expect(s.backendChoice?.unavailable).toContain('webgpu');
        else {
          // Left to choose: the calibration after the first recommendations tries WebGPU too, silently.
          const calibrated = await until('the calibration', async () => (await status(page)).calibration, 60_000);
          expect(calibrated.backend).not.toBe('webgpu');
          expect(Object.keys(calibrated.timings ?? {})).not.toContain('webgpu');
        }
        expect(page.errors).toEqual([]);
        expect(page.console).toEqual([]);
      }
    } finally {
      await bare.close();
    }
  }, 120_000);

  it('downloads only the code of the backend it runs, compressed: a device on wasm never fetches WebGL or WebGPU', async () => {
    const page = await e2e.browser.isolatedPage();
    const from = e2e.server.served.length;
    await page.goto(`${e2e.server.url}/demo/p/${inCategory('Bags')[0].id}?backend=wasm`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    expect((await inferenceUp(page)).backend).toBe('wasm');
    await until('recommendations', async () => ((await shown(page)).length === 4 ? true : undefined));
    const scripts = e2e.server.served.slice(from).filter((r) => r.path.startsWith('/aisle-infer'));
    const names = scripts.map((r) => r.path.slice(1));
    expect(names).toContain('aisle-infer.js');
    expect(names.some((n) => /^aisle-infer-wasm-[\w-]+\.js$/.test(n))).toBe(true);
    expect(names.filter((n) => /webgl|webgpu/.test(n))).toEqual([]);
    // Every script came compressed (Brotli, which Chromium asks for on HTTPS and localhost), and the
    // lot is well under the one bundle of every backend this replaced (331 KB gzip).
    for (const r of scripts) expect([r.path, r.status, r.encoding]).toEqual([r.path, 200, 'br']);
    const total = scripts.reduce((n, r) => n + (r.length ?? Number.POSITIVE_INFINITY), 0);
    expect(total).toBeLessThan(230_000);
  }, 120_000);

  it('on a first visit, draws the edge’s first page before the device has a model, asking nothing of the shopper; the device takes over at the next event, and a repeat visit never asks', async () => {
    const page = await e2e.browser.isolatedPage();
    const asked: { url: string; headers: Record<string, string> }[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/first-page')) asked.push({ url: r.url(), headers: r.headers() });
    });
    const seen = await recordRecommendations(page);
    const bag = inCategory('Bags')[0].id;
    await page.goto(`${e2e.server.url}/demo/p/${bag}?backend=wasm`, { waitUntil: 'domcontentloaded' });
    const first = await until('the first page', async () => (await seen())[0]);
    expect(first.backend).toBe('edge');
    expect(first.items).toHaveLength(4);
    expect(first.items).not.toContain(bag);
    expect(await shown(page)).toEqual(first.items);
    // The request named the product on screen as the page shows it, how many to show and the site:
    // nothing of the shopper, no cookie, not even the page's address.
    expect(asked).toHaveLength(1);
    const query = new URL(asked[0].url).searchParams;
    expect([...query.keys()].sort()).toEqual(['category', 'item', 'k', 'name', 'site']);
    expect(query.get('item')).toBe(bag);
    expect(asked[0].headers.cookie ?? '').toBe('');
    expect(asked[0].headers.referer ?? '').toBe('');
    // It is what the device's own model shows a first visit to that page when it waits for it.
    const own = await e2e.browser.isolatedPage();
    const ownSeen = await recordRecommendations(own);
    await own.goto(`${e2e.server.url}/demo/p/${bag}?backend=wasm&first=off`, { waitUntil: 'networkidle0' });
    const device = await until('the device’s own first page', async () => (await ownSeen())[0]);
    expect(device.backend).toBe('wasm');
    expect(device.items).toEqual(first.items);
    // The device's own model comes up and leaves the same page's list alone until the shopper does something.
    await inferenceUp(page);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await seen()).map((s) => s.backend)).toEqual(['edge']);
    // The rec_impression says where the list came from.
    const impressions = await until('the impression', async () => {
      const all = await page.evaluate(async () => (window as unknown as AisleWindow).aisle.history(50));
      const found = all.filter((e) => e.type === 'rec_impression');
      return found.length ? found : undefined;
    });
    expect(impressions.map((e) => e.props?.backend)).toEqual(['edge']);
    await page.evaluate(() =>
      (window as unknown as AisleWindow).aisle.track('add_to_wishlist', { items: [{ item_id: 'SKU-1001' }] }),
    );
    const mine = await until('the device’s own list', async () => (await seen()).find((s) => s.backend === 'wasm'));
    expect(mine.items).toHaveLength(4);
    // Another page of the same shop: the device answers from its history and models, and the edge is not asked.
    await page.goto(`${e2e.server.url}/demo/p/${inCategory('Bags')[1].id}?backend=wasm`, { waitUntil: 'networkidle0' });
    const next = await until('the next page', async () => (await seen())[0]);
    expect(next.backend).toBe('wasm');
    expect(asked).toHaveLength(1);
    expect(page.errors).toEqual([]);
  }, 120_000);

  it('without consent to analytics (Global Privacy Control), a first visit never asks the edge: the device answers', async () => {
    const page = await e2e.browser.isolatedPage();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/first-page')) asked.push(r.url());
    });
    await page.evaluateOnNewDocument(() => {
      Object.defineProperty(navigator, 'globalPrivacyControl', { value: true });
    });
    await page.goto(`${e2e.server.url}/demo/p/${inCategory('Bags')[2].id}?backend=wasm`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    expect((await status(page)).consent).toMatchObject({ analytics: false, personalization: true });
    await inferenceUp(page);
    await until('recommendations', async () => ((await shown(page)).length === 4 ? true : undefined));
    expect(asked).toEqual([]);
  }, 120_000);

  it('loads the models from IndexedDB on a second visit with the network to them blocked', async () => {
    const { page } = await browse([inCategory('Bags')[0].id], 'wasm');
    // Blocked for the page and its workers alike.
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    await cdp.send('Network.setBlockedURLs', { urls: ['*/v1/models/*', '*/v1/catalog*'] });
    await page.goto(`${e2e.server.url}/demo/p/${inCategory('Bags')[1].id}?backend=wasm`, { waitUntil: 'networkidle0' });
    await aisleReady(page);
    const s = await inferenceUp(page);
    expect(s.models.recommender).toMatchObject({ version: 1, loadedFrom: 'cache' });
    expect(s.models.anomaly).toMatchObject({ version: 1, loadedFrom: 'cache' });
    await until('recommendations from the cached model', async () =>
      (await shown(page)).length === 4 ? true : undefined,
    );
  }, 120_000);

  it('flags a scripted bot session and leaves a person alone', async () => {
    const watch = async (page: TestPage) =>
      page.evaluate(() => {
        const w = window as unknown as { risks: unknown[]; aisle: { on(n: string, f: (p: unknown) => void): void } };
        w.risks = [];
        w.aisle.on('risk', (r) => w.risks.push(r));
      });
    const risks = (page: TestPage) =>
      page.evaluate(() => (window as unknown as { risks: { score: number; reasons: { feature: string }[] }[] }).risks);

    // A person reads each product for tens of seconds; the page's clock is moved on rather than the test waiting.
    // A person's browser is not automated: `navigator.webdriver`, true in any browser a test drives,
    // would add its own weight to the score, so what is judged here is the model's view of the pace.
    const person = await e2e.browser.isolatedPage();
    await person.evaluateOnNewDocument(() => {
      Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true });
      const real = Date.now;
      Date.now = () => real() + Number(sessionStorage.getItem('clock-offset') ?? 0);
    });
    const advance = (ms: number) =>
      person.evaluate((by) => {
        sessionStorage.setItem('clock-offset', String(Number(sessionStorage.getItem('clock-offset') ?? 0) + by));
      }, ms);
    await person.goto(`${e2e.server.url}/demo/?backend=wasm`, { waitUntil: 'networkidle0' });
    await aisleReady(person);
    await inferenceUp(person);
    const flags: unknown[] = [];
    for (const [i, pause] of [25_000, 41_000, 18_000, 56_000, 33_000, 47_000].entries()) {
      await advance(pause);
      // As people browse: most pages reached by clicking a product's card (which the script reports
      // as select_item), the others by address.
      if (i % 3 === 2) {
        await person.goto(`${e2e.server.url}/demo/p/${inCategory('Books')[i].id}?backend=wasm`, {
          waitUntil: 'networkidle0',
        });
      } else {
        await Promise.all([
          person.waitForNavigation({ waitUntil: 'networkidle0' }),
          person.click(`ul[data-aisle-list] li.card:nth-child(${(i % 4) + 1}) a`),
        ]);
      }
      await aisleReady(person);
      await watch(person);
      await inferenceUp(person);
      await new Promise((r) => setTimeout(r, 500));
      flags.push(...(await risks(person)));
    }
    expect(flags).toEqual([]);

    const bot = await e2e.browser.isolatedPage();
    await bot.goto(`${e2e.server.url}/demo/?backend=wasm`, { waitUntil: 'networkidle0' });
    await aisleReady(bot);
    await inferenceUp(bot);
    await watch(bot);
    await bot.evaluate(
      async (ids) => {
        const aisle = (window as unknown as AisleWindow).aisle;
        for (const id of ids) {
          aisle.track('view_item', { items: [{ item_id: id }] });
          await new Promise((r) => setTimeout(r, 250));
        }
      },
      PRODUCTS.slice(0, 40).map((p) => p.id),
    );
    const flagged = await until(
      'the risk event',
      async () => ((await risks(bot)).length ? risks(bot) : undefined),
      20_000,
    );
    expect(flagged[0].score).toBeGreaterThanOrEqual(0.99);
    expect(flagged[0].reasons.map((r) => r.feature).join()).toMatch(
      /impossible pace|machine-steady timing|events_per_minute|max_events_in_10s|distinct_items|min_gap_s/,
    );
    // The flag reaches the server, with the score and the model version, for operators to confirm.
    await bot.evaluate(() => (window as unknown as AisleWindow).aisle.flush());
    const stored = await until('the risk_flag event on the server', async () => {
      const events = (await e2e.server.storage.events({ limit: 10_000 })).map((s) => s.event);
      return events.find((e) => e.type === 'risk_flag');
    });
    expect(stored.props).toMatchObject({ score: expect.any(Number), model_version: 1 });
    expect(stored.props?.score).toBeGreaterThanOrEqual(0.99);

    // The bot goes on to two more pages of the same session: each page's own code hears of the risk
    // (a checkout can step up), but the shop's server hears of the session once.
    // Listening from before the script loads (through the tag's queue), as a merchant's checkout would.
    await bot.evaluateOnNewDocument(() => {
      const w = window as unknown as { risks: unknown[]; aisle: unknown[] };
      w.risks = [];
      w.aisle = w.aisle || [];
      w.aisle.push(['on', 'risk', (r: unknown) => w.risks.push(r)]);
    });
    for (const p of PRODUCTS.slice(41, 43)) {
      await bot.goto(`${e2e.server.url}/demo/p/${p.id}?backend=wasm`, { waitUntil: 'networkidle0' });
      await aisleReady(bot);
      await inferenceUp(bot);
      await until(
        'the risk heard on the next page',
        async () => ((await risks(bot)).length ? true : undefined),
        20_000,
      );
    }
    await bot.evaluate(() => (window as unknown as AisleWindow).aisle.flush());
    await until('the next pages’ events on the server', async () => {
      const events = (await e2e.server.storage.events({ limit: 10_000 })).map((s) => s.event);
      return events.some((e) => e.type === 'view_item' && e.items?.[0]?.item_id === PRODUCTS[42].id) || undefined;
    });
    const sent = (await e2e.server.storage.events({ limit: 10_000 }))
      .map((s) => s.event)
      .filter((e) => e.type === 'risk_flag' && e.session_id === stored.session_id);
    expect(sent).toHaveLength(1);
  }, 180_000);

  it('holds the control group out of recommendations, and every event says which group sent it', async () => {
    const page = await e2e.browser.isolatedPage();
    await page.goto(`${e2e.server.url}/demo/p/${inCategory('Kitchen')[0].id}?backend=wasm&control=1`, {
      waitUntil: 'networkidle0',
    });
    await aisleReady(page);
    await inferenceUp(page);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await shown(page)).toEqual([]);
    const mine = async () => {
      const events = await page.evaluate(() => (window as unknown as AisleWindow).aisle.history(100));
      return events;
    };
    const events = await mine();
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.group === 'control')).toBe(true);
    expect(events.some((e) => e.type === 'rec_impression')).toBe(false);
  }, 60_000);

  it('after a warm-started retrain, a device that holds the model fetches the patch alone and serves the new version', async () => {
    const { page } = await browse([inCategory('Shoes')[0].id], 'wasm');
    expect((await status(page)).models.recommender?.version).toBe(1);
    const dir = join(modelsDir, 'recommender');
    cpSync(dir, `${dir}-before-warm`, { recursive: true });
    // A day of new events: five shoppers looking at shoes, after the season the model was trained on.
    const season = readFileSync(join(modelsDir, 'demo-history.csv'), 'utf8').trimEnd();
    const last = Math.max(
      ...season
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(',')[3]) || 0),
    );
    const day = Array.from({ length: 5 }, (_, u) =>
      inCategory('Shoes')
        .slice(0, 4)
        .map((p, k) => `day-${u},${p.id},view_item,${last + 60 + u * 600 + k * 60},day-${u}-s1,,,,desktop`)
        .join('\n'),
    ).join('\n');
    const events = join(modelsDir, 'next-day.csv');
    writeFileSync(events, `${season}\n${day}\n`);
    try {
      // The model to retrain: SASRec, whichever network the demo chose. SR-GNN's graph network is most
      // of a 300-item model's bytes, and moves in any retrain: its warm start ships whole here (it
      // patches where the item rows outweigh it, a catalogue of thousands).
      const v2 = await runAisle(
        modelsDir,
        'train',
        'recommender',
        '--events',
        join(modelsDir, 'demo-history.csv'),
        '--out',
        dir,
        '--arch',
        'sasrec',
        '--epochs',
        '1',
      );
      expect(v2.code).toBe(0);
      await page.goto(`${e2e.server.url}/demo/p/${inCategory('Shoes')[2].id}?backend=wasm`, {
        waitUntil: 'networkidle0',
      });
      await aisleReady(page);
      await until('version 2 of the recommender', async () =>
        (await status(page)).models.recommender?.version === 2 ? true : undefined,
      );
      const r = await runAisle(
        modelsDir,
        'train',
        'recommender',
        '--events',
        events,
        '--out',
        dir,
        '--warm-start',
        '--epochs',
        '1',
      );
      expect(r.code).toBe(0);
      const v3 = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      const paths = v3.shards.map((x: { path: string }) => x.path);
      expect(paths).toEqual(['model.json', 'weights.base.bin', 'weights.patch.bin']);
      const from = e2e.server.served.length;
      await page.goto(`${e2e.server.url}/demo/p/${inCategory('Shoes')[1].id}?backend=wasm`, {
        waitUntil: 'networkidle0',
      });
      await aisleReady(page);
      await until('version 3 of the recommender', async () =>
        (await status(page)).models.recommender?.version === 3 ? true : undefined,
      );
      expect((await status(page)).models.recommender).toMatchObject({ version: 3, loadedFrom: 'network' });
      // The base is the weights the device already holds: only the patch and the small model.json travel.
      const shardOf = (path: string) => v3.shards.find((x: { path: string }) => x.path === path).sha256;
      const fetched = e2e.server.served
        .slice(from)
        .filter((x) => x.path.startsWith('/v1/models/shards/'))
        .map((x) => x.path.split('/').pop());
      expect(fetched).toContain(shardOf('weights.patch.bin'));
      expect(fetched).not.toContain(shardOf('weights.base.bin'));
      await until('recommendations from version 3', async () => ((await shown(page)).length === 4 ? true : undefined));
    } finally {
      cpSync(`${dir}-before-warm`, dir, { recursive: true });
      for (const left of ['weights.base.bin', 'weights.patch.bin', 'weights.base.ids.json'])
        rmSync(join(dir, left), { force: true });
      rmSync(events, { force: true });
    }
  }, 180_000);

  it('once the shopper erases their data, the page recommends from nothing it held before', async () => {
    const viewed = inCategory('Toys').slice(0, 3);
    const { page } = await browse(
      viewed.map((p) => p.id),
      'wasm',
    );
    const after = await page.evaluate(async () => {
      const w = window as unknown as AisleWindow & { lastRecs?: unknown };
      w.aisle.on('recommendations', (r) => {
        w.lastRecs = r;
      });
      await w.aisle.erase();
      w.lastRecs = undefined;
      w.aisle.track('search', { search_term: 'lamp' });
      for (let i = 0; i < 100 && !w.lastRecs; i++) await new Promise((r) => setTimeout(r, 100));
      return w.lastRecs as { cold: boolean; items: { item_id: string; reason: string }[] } | undefined;
    });
    // Nothing from before the erase: no history the model knows, no reason naming a product viewed
    // before (the product on screen is the page's own, and may still be named: "often viewed with").
    expect(after?.cold).toBe(true);
    for (const item of after?.items ?? [])
      for (const p of viewed.slice(0, -1)) expect(item.reason).not.toContain(p.name);
  }, 120_000);

  it('refuses a manifest whose shard does not match its hash, and keeps serving the last good model', async () => {
    const { page } = await browse([inCategory('Toys')[0].id], 'wasm');
    expect((await status(page)).models.recommender?.version).toBe(1);
    // Version 2 of the recommender, whose weights are not what its manifest says.
    const dir = join(modelsDir, 'recommender');
    cpSync(dir, `${dir}-v1`, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'weights.bin'));
    weights[100] ^= 0xff; // new weights, listed honestly in the v2 manifest…
    const shards = manifest.shards.map((s: { path: string }) =>
      s.path === 'weights.bin' ? { ...s, sha256: createHash('sha256').update(weights).digest('hex') } : s,
    );
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, version: 2, shards }));
    weights[200] ^= 0xff; // …then tampered with on the way
    writeFileSync(join(dir, 'weights.bin'), weights);
    try {
      await page.goto(`${e2e.server.url}/demo/p/${inCategory('Toys')[1].id}?backend=wasm`, {
        waitUntil: 'networkidle0',
      });
      await aisleReady(page);
      const s = await inferenceUp(page);
      expect(s.models.recommender).toMatchObject({ version: 1, loadedFrom: 'cache' });
      expect(s.problems?.join()).toMatch(/recommender: v2 refused: shard weights\.bin does not match its SHA-256/);
      await until('recommendations from the last good model', async () =>
        (await shown(page)).length === 4 ? true : undefined,
      );
    } finally {
      cpSync(`${dir}-v1`, dir, { recursive: true });
    }
  }, 120_000);
});

describe.runIf(chromiumAvailable())(
  'a head recommender on the demo shop: the edge answers for the product on screen',
  () => {
    const headDir = join(mkdtempSync(join(tmpdir(), 'aisle-head-')), 'models');
    const HEAD = 100;
    const e2e = useServerAndBrowser({ modelsDir: () => headDir });
    beforeAll(async () => {
      await ensureDemoModels(headDir, { shoppers: 200, epochs: 3, models: ['recommender', 'anomaly'], head: HEAD })
        .ready;
    }, 180_000);

    it('devices hold the most viewed products; on a page outside them, the edge’s candidates are ranked with the shopper’s history, and the request names nothing but that page’s product', async () => {
      const manifest = JSON.parse(readFileSync(join(headDir, 'recommender', 'manifest.json'), 'utf8'));
      expect(manifest.items).toHaveLength(HEAD + 1);
      // What the trainer says of the cut, and the whole model kept beside the head for the operator's tools.
      expect(manifest.metrics.head).toMatchObject({ items: HEAD, of: manifest.head.of - 1 });
      expect(manifest.metrics.ndcg_at_10).toBe(manifest.metrics.head.ndcg_head_candidates);
      const whole = JSON.parse(readFileSync(join(headDir, 'recommender', 'whole', 'manifest.json'), 'utf8'));
      expect(whole.items.length).toBeGreaterThan(HEAD + 1);
      expect(whole.head).toBeUndefined();
      const held = new Set<string>(manifest.items);
      const table = manifest.shards.find((s: { path: string }) => s.path === 'candidates.bin');
      const outside = PRODUCTS.filter((p) => p.inStock && !held.has(p.id));
      const first = outside.find((p) => p.category === 'Shoes') ?? outside[0];
      const second = outside.find((p) => p.category === first.category && p.id !== first.id) ?? outside[1];
      const page = await e2e.browser.isolatedPage();
      const asked: { url: URL; cookie?: string }[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/candidates')) asked.push({ url: new URL(r.url()), cookie: r.headers().cookie });
      });
      const views: { items: string[]; why: string[] }[] = [];
      for (const product of [first, second]) {
        const before = (await shown(page)).join();
        // The device's own path from the first page on (no first page from the edge: that has its own test).
        await page.goto(`${e2e.server.url}/demo/p/${product.id}?backend=wasm&recs=6&first=off`, {
          waitUntil: 'networkidle0',
        });
        await aisleReady(page);
        await inferenceUp(page);
        await until('recommendations after the view', async () =>
          (await shown(page)).join() !== before ? true : undefined,
        );
        const items = await settled(page, 6);
        const why = await page.evaluate(() =>
          [...(document.querySelector('[data-aisle-slot]')?.shadowRoot?.querySelectorAll('.why') ?? [])].map(
            (w) => w.textContent ?? '',
          ),
        );
        views.push({ items, why });
      }
      // One question per product page, naming that product (and the site's key, when it has one): never the history.
      expect(asked.map((a) => a.url.searchParams.get('item'))).toEqual([first.id, second.id]);
      for (const a of asked) {
        expect([...a.url.searchParams.keys()].filter((k) => k !== 'site')).toEqual(['item']);
        expect(a.url.pathname).toBe(`/v1/models/recommender/${manifest.version}/candidates`);
        expect(a.cookie).toBeUndefined();
      }
      // The edge's table never reaches the device.
      expect(e2e.server.served.some((s) => s.path.endsWith(table.sha256))).toBe(false);
      // Products the device does not hold are recommended, as often viewed with the one on screen.
      const fromEdge = views.flatMap((v) => v.items).filter((id) => !held.has(id));
      expect(fromEdge.length, JSON.stringify(views)).toBeGreaterThan(0);
      expect(views[1].items).not.toContain(second.id);
      expect(views.flatMap((v) => v.why).every((w) => w.length > 0)).toBe(true);
      const s = await status(page);
      expect(s.models.recommender?.head).toEqual({ items: HEAD, of: manifest.head.of - 1 });
      expect(s.problems ?? []).toEqual([]);

      // The answers kept for the products on screen name what the shopper looked at: erasing takes them.
      const keptKeys = () =>
        page.evaluate(
          () =>
            new Promise<string[]>((resolve, reject) => {
              const open = indexedDB.open('aisle-models');
              open.onerror = () => reject(open.error);
              open.onsuccess = () => {
                const keys = open.result.transaction('meta').objectStore('meta').getAllKeys();
                keys.onsuccess = () => {
                  resolve((keys.result as string[]).filter((k) => String(k).startsWith('candidates:')));
                  open.result.close();
                };
              };
            }),
        );
      expect(await keptKeys()).toHaveLength(1);
      await page.evaluate(() => (window as unknown as AisleWindow).aisle.erase());
      expect(await keptKeys()).toEqual([]);

      // Without consent to analytics nothing leaves the device: not even the product on screen's question.
      await page.evaluate(() =>
        (window as unknown as AisleWindow).aisle.consent({ analytics: false, personalization: true }),
      );
      const third = outside.find((p) => ![first.id, second.id].includes(p.id)) ?? outside[2];
      await page.goto(`${e2e.server.url}/demo/p/${third.id}?backend=wasm&recs=6`, { waitUntil: 'networkidle0' });
      await aisleReady(page);
      await inferenceUp(page);
      await settled(page, 6);
      expect(asked.map((a) => a.url.searchParams.get('item'))).toEqual([first.id, second.id]);
      expect(page.errors).toEqual([]);
    }, 240_000);
  },
);
