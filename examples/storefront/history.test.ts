/**
 * The demo's season moves with the calendar: a season ending a day later holds the very same events
 * for the days both cover, and a store seeded yesterday gets today's days without a copy of anything.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '@aisle/edge-server/storage';
import { describe, expect, it } from 'vitest';
import { demoHistory, demoSeasonEnd } from './history';
import { demoEvents, seedDemoEvents } from './models';

const DAY = 86_400_000;
const END = demoSeasonEnd(Date.UTC(2026, 11, 6, 15));

describe('the demo season', () => {
  it('ends today at 00:00 UTC, and keeps its past when it moves on a day', () => {
    expect(END).toBe(Date.UTC(2026, 11, 6));
    const today = demoHistory({ shoppers: 120, end: END });
    const tomorrow = demoHistory({ shoppers: 120, end: END + DAY });
    expect(Math.min(...today.map((r) => r.ts))).toBeGreaterThanOrEqual(END - 90 * DAY);
    expect(Math.max(...today.map((r) => r.ts))).toBeLessThan(END);
    const key = (r: (typeof today)[number]) => JSON.stringify(r);
    const overlap = (rows: typeof today) => rows.filter((r) => r.ts >= END - 89 * DAY && r.ts < END).map(key);
    expect(overlap(tomorrow)).toEqual(overlap(today));
    // A day later has a day of its own.
    expect(tomorrow.filter((r) => r.ts >= END).length).toBeGreaterThan(0);
  });

  it('has shoppers who come and go: some active all season, some arriving, some gone before its end', () => {
    const rows = demoHistory({ shoppers: 300, end: END });
    const span = new Map<string, [number, number]>();
    for (const r of rows) {
      const s = span.get(r.user_id) ?? [r.ts, r.ts];
      span.set(r.user_id, [Math.min(s[0], r.ts), Math.max(s[1], r.ts)]);
    }
    const spans = [...span.values()];
    expect(spans.length).toBeGreaterThan(200);
    expect(spans.filter(([a]) => a > END - 30 * DAY).length).toBeGreaterThan(20); // arrived in the last month
    expect(spans.filter(([, b]) => b < END - 30 * DAY).length).toBeGreaterThan(20); // gone for a month or more
  });

  it('is stored again when stale: yesterday’s store gets today’s days, nothing twice', async () => {
    const storage = openSqlite(':memory:');
    await storage.migrate();
    const dir = mkdtempSync(join(tmpdir(), 'aisle-season-'));
    const first = await seedDemoEvents(storage, dir, () => {}, 80, END - DAY);
    expect(first).toBe(demoEvents(80, END - DAY).length);
    // Same day again: nothing to do.
    expect(await seedDemoEvents(storage, dir, () => {}, 80, END - DAY)).toBe(0);
    const next = await seedDemoEvents(storage, dir, () => {}, 80, END);
    const newDay = demoEvents(80, END).filter((e) => e.ts >= END - DAY).length;
    expect(next).toBe(newDay);
    expect((await storage.stats('demo')).events).toBe(first + newDay);
    await storage.close();
  });
});
