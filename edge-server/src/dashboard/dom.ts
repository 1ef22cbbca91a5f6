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
const NONE = '–';
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** A date as `YYYY-MM-DD hh:mm:ss`, or a dash for anything that is not one. */
const isoTime = (t: string | number) => {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? NONE : d.toISOString().replace('T', ' ').slice(0, 19);
};

/**
 * Number and date formats. Every one is total: a value from a shopper's device that is not what it
 * should be shows as a dash, never as an exception that takes the merchant's page down.
 */
export const fmt = {
  int: (x: number) => (finite(x) ? whole.format(x) : NONE),
  pct: (x: number, digits = 1) => (finite(x) ? `${(x * 100).toFixed(digits)} %` : 'n/a'),
  num: (x: number, digits = 3) => (finite(x) ? x.toFixed(digits) : 'n/a'),
  money: (x: number, currency: string) => {
    if (!finite(x)) return NONE;
    try {
      return new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: 0 }).format(x);
    } catch {
      return `${whole.format(x)} ${String(currency)}`; // not a currency Intl knows
    }
  },
  day: (day: number) => (finite(day) ? isoTime(day * 86_400_000).slice(0, 10) : NONE),
  time: isoTime,
  /** The origin of a URL a shopper's page reported, or undefined when it is not one. */
  origin: (url: unknown) => {
    try {
      return typeof url === 'string' ? new URL(url).origin : undefined;
    } catch {
      return undefined;
    }
  },
};

/** A figure beside the same figure of the previous period of the same length. */
export interface Change {
  now: number;
  before: number;
  /** Whether more is good news (sessions, revenue) or bad (flagged sessions): sets the colour. */
  upIsGood?: boolean;
}

/** "▲ 12.3 %", "▼ 4.0 %", "no change", or "new" when the previous period had none. */
export function changeText({ now, before }: Change): string {
  if (!finite(now) || !finite(before)) return NONE;
  if (now === before) return 'no change';
  if (before === 0) return 'new';
  const rel = (now - before) / Math.abs(before);
  return `${rel > 0 ? '▲' : '▼'} ${Math.abs(rel * 100).toFixed(1)} %`;
}

/** A headline number; `metric` names it for tests and tools reading the page; with `change`, against the previous period. */
export const kpi = (label: string, value: string, metric: string, change?: Change & { shown?: string }) =>
  h(
    'div',
    { class: 'kpi' },
    h('span', {}, label),
    h('b', { 'data-metric': metric }, value),
    change
      ? h(
          'small',
          {
            class: `change ${change.now === change.before ? '' : change.now > change.before === (change.upIsGood ?? true) ? 'good' : 'bad'}`,
            'data-change': metric,
            title: `previous period: ${change.shown ?? fmt.int(change.before)}`,
          },
          changeText(change),
          h('span', { class: 'muted' }, ' vs previous period'),
        )
      : null,
  );

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
