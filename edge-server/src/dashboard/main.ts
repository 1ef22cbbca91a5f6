/**
 * @module dashboard/main — the merchant dashboard: sign-in with the operator token or a read-only
 * token, a site picker, and one page per hash route. Pages read the admin API; nothing here is
 * reachable without a token, since every number comes from that API.
 */
// First: the dashboard's own Content-Security-Policy allows no code made at run time.
import '@aisle/shared-models/util/no-eval';
import { ApiFailure, api, token } from './api';
import { clearCharts } from './charts';
import { h } from './dom';
import { churnPage } from './pages/churn';
import { installPage } from './pages/install';
import { modelsPage } from './pages/models';
import { overviewPage } from './pages/overview';
import { previewPage } from './pages/preview';
import { recommendationsPage } from './pages/recommendations';
import { riskPage } from './pages/risk';
import { segmentsPage } from './pages/segments';
import type { Context, Page } from './pages/types';
import { dateOf, type Period, PRESETS, periodDays, periodFrom, periodQuery } from './period';

const PAGES: [string, string, Page][] = [
  ['overview', 'Overview', overviewPage],
  ['segments', 'Segments', segmentsPage],
  ['churn', 'Churn', churnPage],
  ['risk', 'Risk', riskPage],
  ['recommendations', 'Recommendations', recommendationsPage],
  ['preview', 'Preview', previewPage],
  ['models', 'Models', modelsPage],
  ['install', 'Install', installPage],
];
/** The pages that show a period; the others show the last scoring run or the registry as they are. */
const OVER_TIME = new Set(['overview', 'risk', 'recommendations']);

/** The page and the period the URL's fragment names (`#/risk?period=7d`). */
function route(): { id: string; period: Period } {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { id: path || 'overview', period: periodFrom(new URLSearchParams(query)) };
}
const hashOf = (id: string, period: Period) => {
  const query = periodQuery(period);
  return `#/${id}${query ? `?${query}` : ''}`;
};
const SITE = 'aisle.dashboard.site';
const root = document.getElementById('app') as HTMLElement;

interface Who {
  role: 'operator' | 'reader';
  name?: string;
  sites: string[];
}

function signIn(message?: string) {
  clearCharts();
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    { class: 'card signin' },
    h('h1', {}, 'Aisle dashboard'),
    h('label', {}, 'Operator token or read-only token', input),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    token.set(input.value.trim());
    void start();
  });
  root.replaceChildren(form);
  input.focus();
}

async function start() {
  if (!token.get()) return signIn();
  let who: Who;
  try {
    who = await api.get<Who>('/v1/admin/whoami');
  } catch (error) {
    token.clear();
    return signIn(error instanceof ApiFailure && error.status === 401 ? 'That token is not valid.' : String(error));
  }
  if (!who.sites.length) {
    root.replaceChildren(h('main', {}, h('p', {}, 'No site is registered on this server yet.')));
    return;
  }
  const stored = sessionStorage.getItem(SITE);
  let site = stored && who.sites.includes(stored) ? stored : who.sites.includes('demo') ? 'demo' : who.sites[0];
  const main = h('main', { id: 'page' });
  const nav = h('nav', {}, ...PAGES.map(([id, label]) => h('a', { href: `#/${id}`, 'data-page': id }, label)));
  const picker = h(
    'select',
    { 'aria-label': 'site', name: 'site' },
    ...who.sites.map((s) => h('option', { value: s, selected: s === site }, s)),
  );
  picker.addEventListener('change', () => {
    site = picker.value;
    sessionStorage.setItem(SITE, site);
    void render();
  });
  // The period: a preset, or custom dates; kept in the URL so a view can be shared.
  const preset = h(
    'select',
    { 'aria-label': 'period', name: 'period' },
    ...PRESETS.map(([value, label]) => h('option', { value }, label)),
    h('option', { value: 'custom' }, 'Custom dates…'),
  );
  const fromInput = h('input', { type: 'date', name: 'from', 'aria-label': 'from' });
  const toInput = h('input', { type: 'date', name: 'to', 'aria-label': 'to' });
  const apply = h('button', { type: 'button', 'data-action': 'apply-period' }, 'Apply');
  const custom = h('span', { class: 'custom-period', hidden: true }, fromInput, '–', toInput, apply);
  const periodControl = h('span', { class: 'period' }, preset, custom);
  const go = (period: Period) => {
    const { id } = route();
    const next = hashOf(PAGES.some(([p]) => p === id) ? id : PAGES[0][0], period);
    // The same view again (a preset picked back after opening the custom dates): just draw it.
    if (location.hash === next) void render();
    else location.hash = next;
  };
  preset.addEventListener('change', () => {
    if (preset.value !== 'custom') return go({ preset: preset.value as Exclude<Period['preset'], 'custom'> });
    custom.hidden = false;
    fromInput.focus();
  });
  for (const input of [fromInput, toInput]) input.addEventListener('input', () => apply.setCustomValidity(''));
  apply.addEventListener('click', () => {
    const next = periodFrom(new URLSearchParams({ from: fromInput.value, to: toInput.value }));
    if (next.preset !== 'custom') {
      apply.setCustomValidity('choose a first and a last day, the first not after the last, at most 366 days in all');
      apply.reportValidity();
      return;
    }
    apply.setCustomValidity('');
    go(next);
  });
  const signOut = h('button', { type: 'button', 'data-action': 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    token.clear();
    location.hash = '';
    signIn();
  });
  root.replaceChildren(
    h(
      'header',
      {},
      h('strong', {}, 'Aisle'),
      nav,
      periodControl,
      h(
        'span',
        { class: 'who' },
        picker,
        h('span', { 'data-role': who.role }, who.role === 'operator' ? 'operator' : `read-only (${who.name})`),
        signOut,
      ),
    ),
    main,
  );

  let generation = 0;
  async function render() {
    const { id, period } = route();
    const entry = PAGES.find(([p]) => p === id) ?? PAGES[0];
    for (const a of nav.querySelectorAll('a')) {
      a.toggleAttribute('aria-current', a.dataset.page === entry[0]);
      if (a.dataset.page === entry[0]) a.setAttribute('aria-current', 'page');
      // Every page keeps the period chosen.
      a.setAttribute('href', hashOf(a.dataset.page ?? '', period));
    }
    const days = periodDays(period);
    preset.value = period.preset;
    custom.hidden = period.preset !== 'custom';
    fromInput.value = period.preset === 'custom' ? period.from : dateOf(days.from);
    toInput.value = period.preset === 'custom' ? period.to : dateOf(days.to);
    const overTime = OVER_TIME.has(entry[0]);
    for (const el of [preset, fromInput, toInput, apply]) el.disabled = !overTime;
    periodControl.title = overTime ? '' : 'This page shows the shop as last scored, not a period.';
    const mine = ++generation;
    clearCharts();
    main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    main.dataset.page = entry[0];
    delete main.dataset.ready;
    const ctx: Context = { site, role: who.role, period, days, refresh: () => void render() };
    try {
      const content = await entry[2](ctx);
      if (mine !== generation) return;
      main.replaceChildren(h('h1', {}, entry[1]), content);
    } catch (error) {
      if (mine !== generation) return;
      if (error instanceof ApiFailure && error.status === 401) {
        token.clear();
        return signIn('Your token is no longer valid.');
      }
      main.replaceChildren(
        h('h1', {}, entry[1]),
        h('p', { class: 'error', role: 'alert' }, String((error as Error).message)),
      );
    }
    main.dataset.ready = 'true';
  }
  window.onhashchange = () => void render();
  await render();
}

void start();
