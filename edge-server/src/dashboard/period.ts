/**
 * @module dashboard/period — the period a page shows, as analytics tools merchants know have it
 * (GA4, PostHog): today, the last 7, 30 or 90 days, this month, or custom dates; kept in the URL
 * (`#/overview?period=7d`, `#/risk?from=2026-10-01&to=2026-10-31`) so a view can be shared, and
 * turned into the days (UTC, up to today) the API is asked for.
 */

export type Preset = 'today' | '7d' | '30d' | '90d' | 'month';
export type Period = { preset: Preset } | { preset: 'custom'; from: string; to: string };

export const PRESETS: [Preset, string][] = [
  ['today', 'Today'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'],
  ['month', 'This month'],
];
export const DEFAULT_PERIOD: Period = { preset: '30d' };

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Days the API takes (since the epoch): 1970-01-01 to the year 4707. */
const LAST_DAY = 1_000_000;
/** A `YYYY-MM-DD` as days since the epoch (UTC), or undefined when it is not a real date the API takes. */
export function dayOf(date: string): number | undefined {
  if (!ISO_DATE.test(date)) return undefined;
  const t = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== date) return undefined;
  const day = t / DAY_MS;
  return day >= 0 && day <= LAST_DAY ? day : undefined;
}
export const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The period a URL's query asks for; anything it cannot read is the default. */
export function periodFrom(search: URLSearchParams): Period {
  const preset = search.get('period');
  if (PRESETS.some(([p]) => p === preset)) return { preset: preset as Preset };
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const a = dayOf(from);
  const b = dayOf(to);
  if (a !== undefined && b !== undefined && a <= b && b - a < 366) return { preset: 'custom', from, to };
  return DEFAULT_PERIOD;
}

/** The query a period is kept as in the URL (empty for the default). */
export function periodQuery(p: Period): string {
  if (p.preset === 'custom') return `from=${p.from}&to=${p.to}`;
  return p.preset === DEFAULT_PERIOD.preset ? '' : `period=${p.preset}`;
}

/** The first and last day (UTC, days since the epoch) of a period, as of `now`. */
export function periodDays(p: Period, now = Date.now()): { from: number; to: number } {
  const today = Math.floor(now / DAY_MS);
  switch (p.preset) {
    case 'today':
      return { from: today, to: today };
    case '7d':
      return { from: today - 6, to: today };
    case '30d':
      return { from: today - 29, to: today };
    case '90d':
      return { from: today - 89, to: today };
    case 'month': {
      const d = new Date(now);
      return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS, to: today };
    }
    case 'custom':
      return { from: dayOf(p.from) ?? today, to: dayOf(p.to) ?? today };
  }
}

/** How a period reads in a heading: "Last 30 days", "2026-10-01 – 2026-10-31". */
export function periodLabel(p: Period): string {
  return p.preset === 'custom' ? `${p.from} – ${p.to}` : (PRESETS.find(([k]) => k === p.preset)?.[1] ?? '');
}
