import { describe, expect, it } from 'vitest';
import { dayOf, periodDays, periodFrom, periodQuery } from './period';

const NOW = Date.UTC(2026, 11, 6, 15, 30);
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;

describe('the dashboard period', () => {
  it('reads presets and custom dates from the URL, and writes them back', () => {
    for (const q of ['period=today', 'period=7d', 'period=90d', 'period=month', 'from=2026-10-01&to=2026-10-31'])
      expect(periodQuery(periodFrom(new URLSearchParams(q)))).toBe(q);
    expect(periodQuery(periodFrom(new URLSearchParams('period=30d')))).toBe('');
  });

  it('turns each period into UTC days up to today', () => {
    const of = (q: string) => periodDays(periodFrom(new URLSearchParams(q)), NOW);
    expect(of('period=today')).toEqual({ from: day(2026, 12, 6), to: day(2026, 12, 6) });
    expect(of('period=7d')).toEqual({ from: day(2026, 11, 30), to: day(2026, 12, 6) });
    expect(of('')).toEqual({ from: day(2026, 11, 7), to: day(2026, 12, 6) });
    expect(of('period=month')).toEqual({ from: day(2026, 12, 1), to: day(2026, 12, 6) });
    expect(of('from=2026-02-01&to=2026-02-28')).toEqual({ from: day(2026, 2, 1), to: day(2026, 2, 28) });
  });

  it('falls back to the default for anything a shared link could carry that is not a period', () => {
    for (const q of [
      'period=forever',
      'from=2026-02-30&to=2026-03-01',
      'from=2026-10-31&to=2026-10-01',
      'from=2020-01-01&to=2026-01-01',
      'from=<script>&to=x',
      'from=2026-10-01',
      'from=1969-12-31&to=1970-01-05',
      'from=9999-01-01&to=9999-01-02',
    ])
      expect(periodFrom(new URLSearchParams(q)), q).toEqual({ preset: '30d' });
    expect(dayOf('2026-13-01')).toBeUndefined();
  });
});
