import { describe, expect, it } from 'vitest';
import type { Interaction } from './interchange';
import { leaveLastOrderOut, sessionSplit } from './sequences';

const line = (user: string, item: string, day: number): Interaction => ({
  user_id: user,
  item_id: item,
  type: 'purchase',
  ts: Date.UTC(2011, 0, day),
});

describe('the split by orders', () => {
  it('predicts the first line of the last order after every order before it, never from the same order', () => {
    const split = leaveLastOrderOut([
      line('a', 'x', 1),
      line('a', 'y', 1),
      line('a', 'z', 5),
      line('a', 'x', 9),
      line('a', 'w', 9),
      line('b', 'x', 2),
      line('b', 'y', 2),
    ]);
    const id = (i: number) => split.vocabulary.ids[i];
    expect(split.test).toHaveLength(1);
    const [test] = split.test;
    expect(test.history.map(id)).toEqual(['x', 'y', 'z']);
    expect(id(test.target)).toBe('x');
    expect(split.valid[0].history.map(id)).toEqual(['x', 'y']);
    expect(id(split.valid[0].target)).toBe('z');
    // Training: a's first order only; b (one order) whole.
    expect(split.train.map((t) => t.map(id))).toEqual([
      ['x', 'y'],
      ['x', 'y'],
    ]);
  });
});

describe('the session split', () => {
  const view = (user: string, item: string, minute: number, session?: string): Interaction => ({
    user_id: user,
    item_id: item,
    type: 'view_item',
    ts: Date.UTC(2024, 0, 1) + minute * 60_000,
    ...(session ? { session_id: session } : {}),
  });

  it('holds out the last sessions whole and predicts each next item from that session alone', () => {
    const rows = [
      // Ten sessions of u, an hour apart (30 idle minutes end one), each x → y → z.
      ...Array.from({ length: 10 }, (_, s) => [
        view('u', 'x', s * 60),
        view('u', 'y', s * 60 + 1),
        view('u', 'z', s * 60 + 2),
      ]).flat(),
      // The last session, by its id: a reload of q (dropped), then x, and w, which no training session holds.
      view('v', 'q', 700, 'late'),
      view('v', 'q', 700.5, 'late'),
      view('v', 'x', 701, 'late'),
      view('v', 'w', 702, 'late'),
    ].sort((a, b) => a.ts - b.ts);
    const split = sessionSplit(rows, 0.1);
    const id = (i: number) => split.vocabulary.ids[i];
    expect(split.info.sessions).toEqual({ train: 9, valid: 1, test: 1 });
    expect(split.train).toHaveLength(9);
    expect(split.train.every((t) => t.map(id).join() === 'x,y,z')).toBe(true);
    // The validation session (u's tenth): every next item from its own prefix, none from before.
    expect(split.valid.map((c) => [c.history.map(id), id(c.target)])).toEqual([
      [['x'], 'y'],
      [['x', 'y'], 'z'],
    ]);
    expect(split.info.heldOutFrom).toBe(rows.find((r) => r.ts === Date.UTC(2024, 0, 1) + 540 * 60_000)?.ts);
    // The test session: q once; x (training holds it) is judged, w (no training session has it) is not.
    expect(split.test.map((c) => [c.history.map(id), id(c.target)])).toEqual([[['q'], 'x']]);
    expect(split.info.unknownTargets).toBe(1);
  });

  it("learns nothing from the held-out period, keeps a long session's last 50 steps, and refuses a share past 0.4", () => {
    const rows = [
      // A training session that began early and runs on past the start of the held-out ones: its
      // steps from then on are the held-out period's.
      ...Array.from({ length: 16 }, (_, k) => view('long', `L${k}`, k * 20)),
      ...Array.from({ length: 9 }, (_, s) => [view(`u${s}`, 'x', 10 + s), view(`u${s}`, 'y', 11 + s)]).flat(),
      // The held-out sessions: the last a bot's 300 steps over the same two items.
      view('w', 'x', 200),
      view('w', 'y', 201),
      ...Array.from({ length: 300 }, (_, k) => view('bot', k % 2 ? 'y' : 'x', 300 + k / 100)),
    ].sort((a, b) => a.ts - b.ts);
    const split = sessionSplit(rows, 0.1);
    const id = (i: number) => split.vocabulary.ids[i];
    expect(split.info.heldOutFrom).toBe(rows.find((r) => r.user_id === 'w')?.ts);
    // The long session's steps before the validation session began (minute 200) only.
    const long = split.train.find((t) => id(t[0]) === 'L0');
    expect(long?.map(id)).toEqual(Array.from({ length: 10 }, (_, k) => `L${k}`));
    expect(split.test).toHaveLength(299);
    expect(Math.max(...split.test.map((c) => c.history.length))).toBe(50);
    expect(() => sessionSplit(rows, 0.5)).toThrow(/at most 0.4/);
    expect(() => sessionSplit(rows, 0)).toThrow(/more than 0/);
  });
});
