/**
 * @module dashboard/main — the merchant dashboard: sign-in with the operator token or a read-only
 * token, a site picker, and one page per hash route. Pages read the admin API; nothing here is
 * reachable without a token, since every number comes from that API.
 */
import { ApiFailure, api, token } from './api';
import { clearCharts } from './charts';
import { h } from './dom';
import { churnPage } from './pages/churn';
import { installPage } from './pages/install';
import { modelsPage } from './pages/models';
import { overviewPage } from './pages/overview';
import { recommendationsPage } from './pages/recommendations';
import { riskPage } from './pages/risk';
import { segmentsPage } from './pages/segments';
import type { Context, Page } from './pages/types';

const PAGES: [string, string, Page][] = [
  ['overview', 'Overview', overviewPage],
  ['segments', 'Segments', segmentsPage],
  ['churn', 'Churn', churnPage],
  ['risk', 'Risk', riskPage],
  ['recommendations', 'Recommendations', recommendationsPage],
  ['models', 'Models', modelsPage],
  ['install', 'Install', installPage],
];
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
  const signOut = h('button', { type: 'button' }, 'Sign out');
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
    const id = location.hash.replace(/^#\//, '') || 'overview';
    const entry = PAGES.find(([p]) => p === id) ?? PAGES[0];
    for (const a of nav.querySelectorAll('a')) a.toggleAttribute('aria-current', a.dataset.page === entry[0]);
    for (const a of nav.querySelectorAll('a')) if (a.dataset.page === entry[0]) a.setAttribute('aria-current', 'page');
    const mine = ++generation;
    clearCharts();
    main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    main.dataset.page = entry[0];
    delete main.dataset.ready;
    const ctx: Context = { site, role: who.role, refresh: () => void render() };
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
