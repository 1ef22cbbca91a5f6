/**
 * The merchant dashboard in Chromium, on what `npm start` makes for the demo shop (its simulated
 * season in the store, its profile and churn models trained, published signed and scored): signed
 * out it shows nothing; signed in, every page draws its charts with the numbers the API gives, the
 * churn list exports as CSV, a flag is labelled, a rollout changed, and a read-only token changes
 * nothing. Screenshots of every page go to test-output/dashboard/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoSigningKey,
  ensureDemoModels,
  publishDemoModels,
  scoreDemoProfiles,
  seedDemoEvents,
} from '../../examples/storefront/models';
import { runAisle } from '../helpers/aisle';
import { launch, type TestBrowser, type TestPage, until } from '../helpers/browser';
import { makeEvent } from '../helpers/events';
import { humanSessions, toCsv } from '../helpers/interactions';
import { startServer, type TestServer, TOKEN, tempSqlite } from '../helpers/server';

const SHOTS = join(process.cwd(), 'test-output', 'dashboard');
const DAY_MS = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY_MS);
/** The dashboard's default period, as its pages ask the API for it: the last 30 days up to today (UTC). */
const LAST_30 = `from=${TODAY - 29}&to=${TODAY}`;
const int = (x: number) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x);
const money = (x: number) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 }).format(x);

describe('the merchant dashboard', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: TestPage;
  let remove: () => void;
  let keyFile: string;
  const dir = mkdtempSync(join(tmpdir(), 'aisle-dashboard-'));
  const models = join(dir, 'models');
  // biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary JSON
  const api = async (path: string, init: RequestInit = {}, token = TOKEN): Promise<any> => {
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
    });
    return { status: res.status, ...((await res.json()) as object) };
  };
  const text = (selector: string) => page.$eval(selector, (el) => (el.textContent ?? '').trim());
  /** The arguments that send an `aisle` command's result to the site `demo` on this server, as the operator. */
  const toDemo = () => ['--site', 'demo', '--server', server.url, '--token', TOKEN];
  /** `aisle publish` of the model in `from` to the site `demo` as `version`, signed with the site's key. */
  async function publish(from: string, version: string) {
    const run = await runAisle(dir, 'publish', '--model', from, '--key', keyFile, ...toDemo(), '--version', version);
    expect(run.code, run.stderr).toBe(0);
  }
  /** Opens a page of the dashboard and waits until it and every chart on it are drawn. */
  async function visit(name: string, shot = name) {
    await page.evaluate((n) => {
      const main = document.querySelector('main');
      if (location.hash === `#/${n}`) {
        // Already there: draw it again, from fresh data.
        delete main?.dataset.ready;
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } else location.hash = `#/${n}`;
    }, name);
    await page.waitForSelector(`main[data-page="${name}"][data-ready]`, { timeout: 30_000 });
    const charts = await page.$$eval('canvas[data-chart]', (cs) =>
      cs.map((c) => ({
        name: c.getAttribute('data-chart'),
        ready: c.getAttribute('data-ready'),
        width: c.clientWidth,
      })),
    );
    for (const c of charts) expect(c, `${name}: ${c.name}`).toMatchObject({ ready: 'true' });
    for (const c of charts) expect(c.width, `${name}: ${c.name} has a size`).toBeGreaterThan(100);
    expect(await page.$('main [role=alert]'), `${name} shows no error`).toBeNull();
    await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
    return charts.map((c) => c.name);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const db = tempSqlite();
    remove = db.remove;
    server = await startServer(db.storage);
    // What npm start does for the demo shop, on a smaller season.
    await seedDemoEvents(server.storage, dir, () => {}, 300);
    const key = await demoSigningKey(join(dir, 'keys'), server.storage.registry);
    keyFile = key.privateFile;
    await ensureDemoModels(models, { shoppers: 300, epochs: 1, models: ['profile', 'churn', 'recommender'] }).ready;
    await publishDemoModels(models, {
      server: server.url,
      token: TOKEN,
      keyFile: key.privateFile,
      registry: server.storage.registry,
    });
    await scoreDemoProfiles(models, { server: server.url, token: TOKEN });
    // A session the shopper's device flagged, as its risk check sends it.
    const flagged = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'X-Aisle-Site': 'demo' },
      body: JSON.stringify({
        events: [
          makeEvent({
            type: 'risk_flag',
            session_id: 'sess-bot',
            anonymous_id: 'anon-bot',
            // Two days ago: inside the default period (the last 30 days up to today).
            ts: Date.now() - 2 * DAY_MS,
            items: undefined,
            props: { score: 0.997, model_version: '1', reasons: 'events_per_minute, payment_failures' },
          }),
        ],
      }),
    });
    expect(flagged.status).toBe(200);
    browser = await launch();
    page = await browser.page();
    await page.setViewport({ width: 1280, height: 900 });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    remove?.();
  });

  it('shows nothing without a token, and refuses a wrong one', async () => {
    await page.goto(`${server.url}/dashboard/`);
    await page.waitForSelector('input[name=token]');
    expect(await page.$('main')).toBeNull();
    // The page itself carries no data, and the API behind it answers nothing without the token.
    const html = await (await fetch(`${server.url}/dashboard/`)).text();
    expect(html).not.toMatch(/demo-\d+|EUR/);
    const refused = await page.evaluate(async () => (await fetch('/v1/admin/dashboard/overview?site=demo')).status);
    expect(refused).toBe(401);
    await page.type('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    expect(await text('[role=alert]')).toMatch(/not valid/);
    await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
  });

  it('signs in and shows the overview: the numbers the API gives, as charts', async () => {
    await page.type('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    const charts = await visit('overview');
    expect(charts).toEqual(['events-per-day', 'shoppers-per-day', 'funnel']);
    const o = await api(`/v1/admin/dashboard/overview?site=demo&${LAST_30}`);
    expect(o.events).toBeGreaterThan(1000);
    expect(await text('[data-metric=events]')).toBe(int(o.events));
    expect(await text('[data-metric=shoppers]')).toBe(int(o.shoppers));
    expect(await text('[data-metric=sessions]')).toBe(int(o.sessions));
    for (const f of o.funnel) expect(await text(`[data-metric="funnel-${f.step}"]`)).toBe(int(f.sessions));
    expect(await text('[data-metric=revenue-EUR]')).toContain(int(o.revenue[0].value));
    // The chart holds a bar per day and type shown.
    const points = await page.$eval('canvas[data-chart=events-per-day]', (c) => Number(c.getAttribute('data-points')));
    expect(points).toBeGreaterThanOrEqual(30 * 3);
  });

  it('shows the period a merchant picks, against the period before, kept in the URL', async () => {
    // The season is the 90 days up to today: every preset finds it.
    await page.select('select[name=period]', '7d');
    await page.waitForFunction(() => location.hash === '#/overview?period=7d');
    await page.waitForSelector('main[data-page="overview"][data-ready]');
    const week = await api(`/v1/admin/dashboard/overview?site=demo&from=${TODAY - 6}&to=${TODAY}`);
    await until('the week shown', async () => (await text('[data-metric=events]')) === int(week.events));
    expect(week.range).toMatchObject({ from: TODAY - 6, to: TODAY, days: 7 });
    expect(week.previous.events).toBeGreaterThan(0);
    const change = await text('[data-change=events]');
    expect(change).toMatch(/^(▲|▼) \d+\.\d % vs previous period$|^no change/);
    const rel = (week.events - week.previous.events) / week.previous.events;
    expect(change.startsWith(rel > 0 ? '▲' : '▼')).toBe(true);
    expect(
      await page.$eval('canvas[data-chart=events-per-day]', (c) => Number(c.getAttribute('data-points'))),
    ).toBeGreaterThanOrEqual(7);
    // Another page keeps the period; a shared link opens on it.
    await page.click('nav a[data-page=risk]');
    await page.waitForFunction(() => location.hash === '#/risk?period=7d');
    await page.reload();
    await page.waitForSelector('main[data-page="risk"][data-ready]');
    expect(await page.$eval('select[name=period]', (el) => (el as HTMLSelectElement).value)).toBe('7d');
    // Custom dates: the whole season.
    await page.select('select[name=period]', 'custom');
    const iso = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
    await page.$eval(
      'input[name=from]',
      (el, v) => {
        (el as HTMLInputElement).value = v;
      },
      iso(TODAY - 89),
    );
    await page.click('button[data-action=apply-period]');
    await page.waitForFunction((q) => location.hash === `#/risk?${q}`, {}, `from=${iso(TODAY - 89)}&to=${iso(TODAY)}`);
    await page.click('nav a[data-page=overview]');
    await page.waitForSelector('main[data-page="overview"][data-ready]');
    const season = await api(`/v1/admin/dashboard/overview?site=demo&from=${TODAY - 89}&to=${TODAY}`);
    await until('the season shown', async () => (await text('[data-metric=events]')) === int(season.events));
    // Every day of the season has its shoppers.
    expect(season.days.filter((d: { shoppers: number }) => d.shoppers > 0).length).toBeGreaterThanOrEqual(85);
    await page.screenshot({ path: join(SHOTS, 'overview-season.png'), fullPage: true });
    // Back to the default for the tests after this one.
    await page.select('select[name=period]', '30d');
    await page.waitForFunction(() => location.hash === '#/overview');
    await page.waitForSelector('main[data-page="overview"][data-ready]');
  });

  it('shows each segment’s size, centroid and categories, and the shoppers in one', async () => {
    expect(await visit('segments')).toEqual(['segment-sizes', 'segment-centroids']);
    const s = await api('/v1/admin/dashboard/segments?site=demo');
    const names = Object.keys(s.sizes);
    expect(names.length).toBeGreaterThanOrEqual(2);
    for (const name of names) expect(await text(`[data-metric="segment-size-${name}"]`)).toBe(int(s.sizes[name]));
    // Each segment's expected spend over the churn model's forecast days, in the shop's currency.
    expect(s.value).toMatchObject({ days: 30, currency: 'EUR' });
    for (const name of names)
      expect(await text(`[data-metric="segment-value-${name}"]`)).toBe(money(s.value.segments[name]?.spend ?? 0));
    expect(s.latest.segments.length).toBe(names.length);
    await page.click(`button[data-segment="${names[0]}"]`);
    await page.waitForSelector('table[data-table=segment-users] tbody tr');
    const users = await page.$$eval('table[data-table=segment-users] tbody tr', (rows) => rows.length);
    expect(users).toBe(Math.min(50, s.sizes[names[0]]));
  });

  it('shows churn risk with the model’s metrics, and exports the at-risk list as CSV', async () => {
    expect(await visit('churn')).toEqual(['churn-histogram']);
    const c = await api('/v1/admin/dashboard/churn?site=demo');
    expect(c.scored).toBeGreaterThanOrEqual(280);
    // The demo's shoppers cool off before they leave: its model earns its verdict, and its bands spread.
    expect(c.model.health).toMatchObject({ verdict: 'ok', measure: 'held-out ROC-AUC' });
    expect(await page.$('[data-health=churn-banner]')).toBeNull();
    expect(await page.$eval('[data-health=churn]', (el) => el.getAttribute('data-verdict'))).toBe('ok');
    const bands = Object.values(c.bands as Record<string, number>);
    expect(bands.filter((n) => n >= c.scored * 0.1).length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...bands)).toBeLessThan(c.scored * 0.85);
    expect(await text('[data-metric=band-high]')).toBe(int(c.bands.high));
    expect(await text('[data-metric=scored]')).toBe(int(c.scored));
    for (const k of ['precision', 'recall', 'f1', 'rocAuc'])
      expect(await text(`[data-metric=churn-${k}]`)).toBe(c.model.metrics[k].toFixed(3));
    // Likely to leave and worth keeping: what the shop's customers are expected to spend, what of it
    // the high-risk ones hold, the forecast's record against the simple ones, and the list by value.
    expect(await text('[data-metric=value-spend]')).toBe(money(c.value.spend));
    expect(await text('[data-metric=value-spend-high-risk]')).toBe(money(c.value.spend_high_risk));
    // The forecast's record told as it is: closer than the simple forecasts, or said plainly that it is not.
    const simple = Object.values(c.value.baselines as Record<string, { spend_mae: number }>).map((b) => b.spend_mae);
    expect(await text('[data-metric=value-verdict]')).toMatch(
      c.value.metrics.spend_mae < Math.min(...simple)
        ? /^Closer than the simple forecasts for \d+ customers/
        : /^No closer than a simple forecast \(\d+ customers\)/,
    );
    expect(await page.$$eval('[data-table=value-model] tbody tr', (rows) => rows.length)).toBe(3);
    expect(await page.$eval('select[name=sort]', (el) => (el as HTMLSelectElement).value)).toBe('value');
    // At least 30 %: the list below is the medium and high bands.
    await page.$eval('input[name=minChurn]', (el) => {
      (el as HTMLInputElement).value = '0.3';
      el.dispatchEvent(new Event('change'));
    });
    const listed = await api('/v1/admin/profiles?site=demo&minChurn=0.3&limit=100');
    await until('the filtered list', async () =>
      (await text('[data-metric=at-risk-shown]')).startsWith(`${listed.profiles.length}`),
    );
    // Each reason reads as the shopper's own story ("no order for 40 days, was every 12"), not a column name.
    const reasons = await page.$$eval('[data-table=at-risk] .tag', (tags) => tags.map((t) => t.textContent ?? ''));
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.filter((t) => /_|=/.test(t))).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'churn-at-risk.png'), fullPage: true });
    const downloads = mkdtempSync(join(tmpdir(), 'aisle-downloads-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('[data-action=export-csv]');
    const file = await until('the CSV download', () => readdirSync(downloads).find((f) => f.endsWith('.csv')));
    expect(file).toBe('aisle-churn-demo.csv');
    const rows = parse(readFileSync(join(downloads, file), 'utf8'), { bom: true, columns: true }) as Record<
      string,
      string
    >[];
    const all = await fetch(`${server.url}/v1/admin/profiles.csv?site=demo&minChurn=0.3`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.text());
    expect(rows.length).toBe((parse(all, { bom: true, columns: true }) as unknown[]).length);
    for (const r of rows) expect(Number(r['Churn probability (0–1)'])).toBeGreaterThanOrEqual(0.3);
    // Headings and actions in words, as a merchant reads them in a spreadsheet.
    expect(Object.keys(rows[0])).toEqual(
      expect.arrayContaining(['Shopper', 'Churn probability (0–1)', 'Reasons', 'Retention action']),
    );
    expect(rows.filter((r) => /_/.test(r.Reasons) || /_/.test(r['Retention action']))).toEqual([]);
  });

  it('shows the flagged sessions and their reasons, and labels one for training', async () => {
    expect(await visit('risk')).toEqual(['flags-per-day', 'flag-reasons']);
    const r = await api(`/v1/admin/dashboard/risk?site=demo&${LAST_30}`);
    expect(r.sessions).toHaveLength(1);
    expect(await text('[data-metric=flags]')).toBe('1');
    // The flagged share of the period's sessions; judged only against an anomaly model's calibration,
    // and this shop publishes none (its one flag comes from elsewhere), so no verdict is claimed.
    expect(r.seen.sessions).toBeGreaterThan(100);
    expect(await text('[data-metric=flag-share]')).toBe(`${((100 * r.seen.flagged) / r.seen.sessions).toFixed(1)} %`);
    expect(r.flag_rate).toBeNull();
    expect(await page.$('[data-flag-rate]')).toBeNull();
    // Reasons in words, not column names.
    expect(await page.$$eval('table[data-table=flags] .tag', (tags) => tags.map((t) => t.textContent))).toEqual([
      'events per minute',
      'declined payments',
    ]);
    // The session's events, on demand.
    await page.click('table[data-table=flags] details summary');
    await until('the session’s events', async () =>
      (await text('table[data-table=flags] details li'))?.includes('session flagged') ? true : undefined,
    );
    await page.click('table[data-table=flags] button[data-label=confirmed]');
    const id = r.sessions[0].event_id;
    await until('the label shown', async () => (await text(`[data-flag-label="${id}"]`)) === 'confirmed');
    const after = await api(`/v1/admin/dashboard/risk?site=demo&${LAST_30}`);
    expect(after.sessions[0].label).toBe('confirmed');
    expect(await page.$('[data-never-varied]')).toBeNull();
    // An anomaly model trained on a shop with no sign-in or sign-up: the merchant is told that any
    // session with one is flagged, in words, and what to do the day the shop adds one.
    writeFileSync(join(dir, 'browsing.csv'), toCsv(humanSessions({ users: 80, days: 20 })));
    const trained = await runAisle(dir, 'train', 'anomaly', '--events', 'browsing.csv', '--out', 'anomaly');
    expect(trained.code, trained.stderr).toBe(0);
    const never = JSON.parse(readFileSync(join(dir, 'anomaly', 'manifest.json'), 'utf8')).metrics.never_varied;
    expect(never).toEqual(expect.arrayContaining(['logins', 'sign_ups']));
    await publish(join(dir, 'anomaly'), '1');
    await visit('risk', 'risk-never-varied');
    expect((await page.$eval('[data-never-varied]', (el) => el.getAttribute('data-never-varied')))?.split(' ')).toEqual(
      never,
    );
    const note = await text('[data-never-varied]');
    expect(note).toMatch(
      /^Model v1's training sessions never varied in .*sign-ins, accounts created, so a session that differs in one stands out as unusual and is likely flagged\./,
    );
    expect(note).not.toMatch(/_/);
  }, 120_000);

  it('shows recommendation results by model and backend against the hold-out', async () => {
    expect(await visit('recommendations')).toEqual(['ctr-by-model', 'holdout']);
    const r = await api(`/v1/admin/dashboard/recommendations?site=demo&${LAST_30}`);
    const impressions = r.byModel.reduce((n: number, m: { impressions: number }) => n + m.impressions, 0);
    expect(await text('[data-metric=impressions]')).toBe(int(impressions));
  });

  it('previews what each recommender version shows one shopper, side by side, with reasons, scores and pictures', async () => {
    // A second version, trained longer, published over the first.
    const second = join(dir, 'second');
    await ensureDemoModels(second, { shoppers: 300, epochs: 2, models: ['recommender'] }).ready;
    await publish(join(second, 'recommender'), '2');
    await visit('preview', 'preview-empty');
    const shoppers = await page.$$eval('select[name=shopper] option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value).filter(Boolean),
    );
    expect(shoppers.length).toBeGreaterThan(5);
    await page.select('select[name=shopper]', shoppers[0]);
    await page.click('.preview-form button[type=submit]');
    // The shopper is kept in the URL: the view can be shared.
    await until('the shopper in the URL', async () =>
      (await page.evaluate(() => location.hash)).includes(encodeURIComponent(shoppers[0])) ? true : undefined,
    );
    await page.waitForSelector('[data-preview][data-ready]', { timeout: 60_000 });
    const columns = await page.$$eval('[data-version]', (cs) =>
      cs.map((c) => ({
        version: c.getAttribute('data-version'),
        verdict: c.querySelector('[data-verdict]')?.getAttribute('data-verdict'),
        picks: [...c.querySelectorAll('ol.picks li')].map((li) => ({
          id: li.getAttribute('data-item') as string,
          score: li.getAttribute('data-score'),
          signal: li.getAttribute('data-signal'),
          why: li.querySelector('.why')?.textContent ?? '',
          name: li.querySelector('b')?.textContent ?? '',
          src: li.querySelector('img')?.getAttribute('src') ?? '',
        })),
      })),
    );
    expect(columns.map((c) => c.version)).toEqual(['2', '1']);
    const history = await api(`/v1/admin/dashboard/preview/history?site=demo&anonymous_id=${shoppers[0]}`);
    const lastViewed = history.events.filter((e: { type: string }) => e.type === 'view_item').pop()?.items[0].item_id;
    for (const c of columns) {
      expect(c.verdict).toMatch(/ok|weak/);
      expect(c.picks).toHaveLength(8);
      expect(new Set(c.picks.map((p) => p.id)).size).toBe(8);
      // On the page of the product they viewed last: never that product.
      expect(c.picks.map((p) => p.id)).not.toContain(lastViewed);
      for (const p of c.picks) {
        expect(p.name).toMatch(/\S/);
        expect(p.why).toMatch(/\S/);
        // Which signal picked it, named on the card.
        expect(['neighbours', 'sequence', 'graph', 'content', 'popularity', 'history']).toContain(p.signal);
        expect(Number.isFinite(Number.parseFloat(p.score ?? ''))).toBe(true);
        expect(p.src.endsWith(`/demo/img/${p.id}.svg`), p.src).toBe(true);
      }
    }
    expect(await page.$$eval('[data-table=preview-events] tbody tr', (rs) => rs.length)).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'preview.png'), fullPage: true });

    // A pasted history: the product in the cart is never offered.
    await page.$eval('textarea[name=history]', (el) => {
      (el as HTMLTextAreaElement).value = 'SKU-00001\nSKU-00002\nadd_to_cart SKU-00003\nSKU-00004';
    });
    await page.$eval('[data-preview]', (el) => {
      delete (el as HTMLElement).dataset.ready;
    });
    await page.click('.preview-form button[type=submit]');
    await page.waitForSelector('[data-preview][data-ready] [data-version] ol.picks li', { timeout: 60_000 });
    const pasted = await page.$$eval('[data-version] ol.picks li', (ls) => ls.map((l) => l.getAttribute('data-item')));
    expect(pasted.length).toBe(16);
    expect(pasted).not.toContain('SKU-00003');
    expect(pasted).not.toContain('SKU-00004');
    expect(page.errors).toEqual([]);

    // What a careless or hostile caller gets: JSON naming the fault.
    const missing = await api('/v1/admin/dashboard/preview/history?site=demo&anonymous_id=nobody-here');
    expect(missing).toMatchObject({ status: 404, error: 'no such shopper' });
    const bad = await api(`/v1/admin/dashboard/preview/history?site=demo&anonymous_id=${'x'.repeat(500)}`);
    expect(bad.status).toBe(400);
    expect((await api('/v1/admin/dashboard/preview/history?site=demo')).status).toBe(400);
    expect((await api('/v1/admin/dashboard/preview/models?site=nowhere')).status).toBe(404);
    expect((await api('/v1/admin/dashboard/preview/shoppers?site=demo', {}, 'wrong')).status).toBe(401);
  }, 240_000);

  it('lists every model version with its channel, and changes a rollout', async () => {
    await visit('models');
    const listed = await api('/v1/admin/models?site=demo');
    expect([...new Set(listed.models.map((m: { name: string }) => m.name))].sort()).toEqual([
      'anomaly',
      'catalog',
      'churn',
      'profile',
      'recommender',
    ]);
    await page.$eval('input[data-rollout="churn:stable"]', (el) => {
      (el as HTMLInputElement).value = '';
    });
    await page.type('input[data-rollout="churn:stable"]', '30');
    await page.click('button[data-set-rollout="churn:stable"]');
    await until('the rollout stored', async () => {
      const models = (await api('/v1/admin/models?site=demo')).models as {
        name: string;
        channels: { rollout: number }[];
      }[];
      return models.find((m) => m.name === 'churn' && m.channels.length)?.channels[0].rollout === 30;
    });
    await page.waitForSelector('main[data-page=models][data-ready]');
    await until('the page redrawn', async () =>
      page.$eval('input[data-rollout="churn:stable"]', (el) => (el as HTMLInputElement).value === '30'),
    );
    await page.screenshot({ path: join(SHOTS, 'models.png'), fullPage: true });
  });

  it('rolls a model back, signed in the browser with the key file the operator picks', async () => {
    // A second churn version on stable, so that v1 is a rollback away.
    await publish(join(models, 'churn'), '2');
    await visit('models');
    // Without a key file nothing is sent, and the page says what is missing.
    await page.click('button[data-rollback="churn:1"]');
    await until('the missing key named', async () => (await text('main [role=status]')).includes('private key'));
    const input = await page.$('input[data-rollback-key="churn:1"]');
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(keyFile);
    await page.click('button[data-rollback="churn:1"]');
    await until('the rollback stored', async () => {
      const listed = (await api('/v1/admin/models?site=demo')).models as {
        name: string;
        version: number;
        channels: { channel: string; rollback: boolean }[];
      }[];
      const v1 = listed.find((m) => m.name === 'churn' && m.version === 1);
      return v1?.channels.some((c) => c.channel === 'stable' && c.rollback);
    });
    // Served to devices as signed by the site's key, with the rollback mark.
    const served = await fetch(`${server.url}/v1/models/churn/manifest?site=demo`).then((r) => r.json());
    expect(served).toMatchObject({ version: 1, rollback: { from: 2 }, site: 'demo' });
    const audit = await api('/v1/admin/audit?site=demo');
    expect(audit.entries.map((e: { action: string }) => e.action)).toContain('rollback');
    await page.waitForSelector('main[data-page=models][data-ready]');
    await until('the page says what was done', async () =>
      (await text('main [role=status]')).includes('rolled back from v2 to v1'),
    );
    await page.screenshot({ path: join(SHOTS, 'models-rolled-back.png'), fullPage: true });
  });

  it('gives the tag with the site’s key, and shows events live as the shop sends them', async () => {
    await visit('install');
    const key = (await api('/v1/admin/sites/demo/keys')).keys[0].public_key;
    const snippet = await text('[data-snippet]');
    expect(snippet).toContain(`${server.url}/aisle.js`);
    expect(snippet).toContain('data-site="demo"');
    expect(snippet).toContain(`data-key="${key}"`);
    const sent = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'X-Aisle-Site': 'demo' },
      body: JSON.stringify({
        events: [makeEvent({ type: 'add_to_wishlist', page: { url: 'https://shop.example/p/live' } })],
      }),
    });
    expect(sent.status).toBe(200);
    await until(
      'the live check',
      async () => (await text('[data-live]')).includes('add_to_wishlist from https://shop.example'),
      10_000,
    );
  });

  it('lets a read-only token look but not change anything', async () => {
    const made = await api('/v1/admin/tokens', {
      method: 'POST',
      body: JSON.stringify({ site: 'demo', name: 'merchant' }),
    });
    await page.click('header button[data-action=sign-out]');
    await page.waitForSelector('input[name=token]');
    await page.type('input[name=token]', made.token);
    await page.click('button[type=submit]');
    await visit('models', 'models-read-only');
    expect(await text('[data-role]')).toBe('read-only (merchant)');
    const disabled = await page.$$eval('button[data-set-rollout]', (bs) =>
      bs.map((b) => (b as HTMLButtonElement).disabled),
    );
    expect(disabled.length).toBeGreaterThan(0);
    expect(disabled.every(Boolean)).toBe(true);
    const tried = await page.evaluate(async (token) => {
      const res = await fetch('/v1/admin/models/churn/channels/stable', {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ site: 'demo', rollout: 100 }),
      });
      return res.status;
    }, made.token);
    expect(tried).toBe(403);
    // One shopper's own visits are the operator's: a reader previews a pasted history only.
    const history = await api('/v1/admin/dashboard/preview/history?site=demo&anonymous_id=demo-1', {}, made.token);
    expect(history.status).toBe(403);
    await visit('preview', 'preview-read-only');
    expect(await page.$eval('select[name=shopper]', (el) => (el as HTMLSelectElement).disabled)).toBe(true);
    await visit('overview', 'overview-read-only');
    expect(page.errors).toEqual([]);
    // Nothing in the console but the refusals these tests asked for (a wrong token, a reader's change):
    // no code made at run time against the page's own Content-Security-Policy, for one.
    expect(page.console.filter((line) => !/status of 40[13]/.test(line))).toEqual([]);
  });

  it('warns plainly of a churn model no better than chance, and proposes no action from its bands', async () => {
    // A model trained on labels that say nothing (shuffled: churn drawn at random), published and scored with.
    const rows = ['user_id,visits,spend,churned'];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++)
      rows.push(`u${i},${Math.floor(rnd() * 20)},${(rnd() * 300).toFixed(2)},${rnd() < 0.4 ? 'yes' : 'no'}`);
    const table = join(dir, 'shuffled.csv');
    writeFileSync(table, `${rows.join('\n')}\n`);
    const trained = await runAisle(
      dir,
      'train',
      'churn',
      '--table',
      table,
      '--label',
      'churned',
      '--id',
      'user_id',
      '--out',
      join(dir, 'shuffled'),
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(
      /WARNING: no better than a simple baseline: held-out ROC-AUC 0\.\d+: no better than chance/,
    );
    await publish(join(dir, 'shuffled'), '10');
    // Published is not yet used: the verdict follows the model the shop's scores came from.
    expect((await api('/v1/admin/dashboard/churn?site=demo')).model.health.verdict).toBe('ok');
    // A merchant scores their customers with it all the same.
    const scored = await runAisle(
      dir,
      'score',
      'churn',
      '--model',
      join(dir, 'shuffled'),
      '--table',
      table,
      '--id',
      'user_id',
      '--out',
      join(dir, 'shuffled.jsonl'),
      '--publish',
      ...toDemo(),
    );
    expect(scored.code, scored.stderr).toBe(0);

    const c = await api('/v1/admin/dashboard/churn?site=demo');
    expect(c.model).toMatchObject({ version: 10, health: { verdict: 'weak' } });
    expect(c.model.health.value).toBeLessThanOrEqual(0.55);
    await page.evaluate(() => {
      location.hash = '#/overview';
    });
    await page.waitForSelector('main[data-page="overview"][data-ready]');
    await page.evaluate(() => {
      location.hash = '#/churn';
    });
    await page.waitForSelector('main[data-page="churn"][data-ready]');
    expect(await text('[data-health=churn-banner]')).toMatch(
      /^Churn model v10 is no better than a simple baseline\. Held-out ROC-AUC 0\.\d+: no better than chance .* not proposed/,
    );
    await page.screenshot({ path: join(SHOTS, 'churn-weak-model.png'), fullPage: true });
    // No action goes by its bands: only those that do not (a care message for who never bought) remain.
    const listed = await api('/v1/admin/profiles?site=demo&limit=1000');
    expect(listed.churn_model).toMatchObject({ version: 10, health: { verdict: 'weak' } });
    const actions = new Set(listed.profiles.map((p: { action: string }) => p.action));
    expect([...actions].filter((a) => a !== 'none' && a !== 'care_message')).toEqual([]);
    // The Models page says it too, beside the version.
    await page.evaluate(() => {
      location.hash = '#/models';
    });
    await page.waitForSelector('main[data-page="models"][data-ready]');
    expect(await page.$eval('[data-health="churn:10"]', (el) => el.getAttribute('data-verdict'))).toBe('weak');
    expect(await page.$eval('[data-health="churn:1"]', (el) => el.getAttribute('data-verdict'))).toBe('ok');
  });
});
