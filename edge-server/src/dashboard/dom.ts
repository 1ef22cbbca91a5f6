/** @module dashboard/dom — a small element builder (text is always text, never HTML) and number formats. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
export const fmt = {
  int: (x: number) => whole.format(x),
  pct: (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`,
  num: (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a'),
  money: (x: number, currency: string) =>
    new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: 0 }).format(x),
  day: (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10),
  time: (iso: string | number) => new Date(iso).toISOString().replace('T', ' ').slice(0, 19),
};

/** A headline number; `metric` names it for tests and tools reading the page. */
export const kpi = (label: string, value: string, metric: string) =>
  h('div', { class: 'kpi' }, h('span', {}, label), h('b', { 'data-metric': metric }, value));

export const card = (title: string, ...children: (Child | Child[])[]) =>
  h('section', { class: 'card' }, h('h2', {}, title), ...children);

export function table(head: string[], rows: (Child | Child[])[][], numeric: number[] = [], attrs: Attrs = {}) {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...head.map((x, i) => h('th', numeric.includes(i) ? { class: 'num' } : {}, x)))),
    h(
      'tbody',
      {},
      ...rows.map((r) => h('tr', {}, ...r.map((x, i) => h('td', numeric.includes(i) ? { class: 'num' } : {}, x)))),
    ),
  );
}
