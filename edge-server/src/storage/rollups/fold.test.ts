import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../../test/helpers/events';
import { batchFold, fold, projection } from './fold';
import { DAY_MS, STEP } from './types';

const DAY = 20_000;
const at = (hour: number) => DAY * DAY_MS + hour * 3_600_000;
const props = { model_version: '3', backend: 'wasm' };

/** A session: views, a shown and a clicked recommendation, a cart, a purchase of the clicked item, a flag. */
const session = [
  makeEvent({ type: 'view_item', ts: at(1), anonymous_id: 'a', session_id: 's1', group: 'treatment' }),
  makeEvent({ type: 'rec_impression', ts: at(1), anonymous_id: 'a', session_id: 's1', props }),
  makeEvent({
    type: 'rec_click',
    ts: at(2),
    anonymous_id: 'a',
    session_id: 's1',
    items: [{ item_id: 'SKU-9' }],
    props,
  }),
  makeEvent({ type: 'add_to_cart', ts: at(2), anonymous_id: 'a', session_id: 's1' }),
  makeEvent({
    type: 'purchase',
    ts: at(3),
    anonymous_id: 'a',
    session_id: 's1',
    value: 40,
    currency: 'EUR',
    items: [{ item_id: 'SKU-9' }],
  }),
  makeEvent({ type: 'view_item', ts: at(3), anonymous_id: 'b', session_id: 's2' }),
  makeEvent({
    type: 'risk_flag',
    ts: at(4),
    anonymous_id: 'b',
    session_id: 's2',
    items: undefined,
    props: { score: 0.99, reasons: 'pace' },
  }),
];

describe('fold', () => {
  it('counts events per day and type, revenue by purchases only, shoppers and session steps', () => {
    const agg = fold(projection('shop', session, 0), new Map());
    expect(agg.daily.get(`shop\0${DAY}\0view_item\0`)?.slice(4)).toEqual([2, 0]);
    expect(agg.daily.get(`shop\0${DAY}\0purchase\0EUR`)?.slice(4)).toEqual([1, 40]);
    expect(agg.shoppers.size).toBe(2);
    const s1 = agg.sessions.get('shop\0s1');
    expect(s1?.[4]).toBe(STEP.view_item | STEP.rec_impression | STEP.rec_click | STEP.add_to_cart | STEP.purchase);
    expect(s1?.[5]).toBe('treatment');
  });

  it('attributes a purchase to a recommendation clicked in the session, in the batch or stored before', () => {
    const inBatch = fold(projection('shop', session, 0), new Map());
    expect(inBatch.recs.get(`shop\0${DAY}\x003\0wasm`)?.slice(4)).toEqual([1, 1, 1]);
    // The click in an earlier batch: only the purchase here, attributed through what is stored.
    const later = fold(projection('shop', [session[4]], 0), new Map([['shop\0s1\0SKU-9', ['3', 'wasm']]]));
    expect(later.recs.get(`shop\0${DAY}\x003\0wasm`)?.slice(4)).toEqual([0, 0, 1]);
    expect(fold(projection('shop', [session[4]], 0), new Map()).recs.size).toBe(0);
  });

  it('keeps each risk flag with its score and reasons', () => {
    const { flags } = fold(projection('shop', session, 0), new Map());
    expect(flags).toHaveLength(1);
    expect(flags[0].slice(1, 7)).toEqual(['shop', 's2', 'b', at(4), 0.99, 'pace']);
  });

  it('folds a batch ahead unless a purchase needs what is stored, and then carries its projection', () => {
    const ahead = batchFold('shop', session.slice(0, 4), 0);
    expect('folded' in ahead && ahead.folded.daily.size).toBeGreaterThan(0);
    const carried = batchFold('shop', session, 0);
    expect('events' in carried && carried.events.map((e) => e.event.type)).toEqual(session.map((e) => e.type));
    // The projection is what the fold reads and no more.
    expect('events' in carried && Object.keys(carried.events[0].event).sort()).toEqual(
      ['anonymous_id', 'currency', 'event_id', 'group', 'items', 'props', 'session_id', 'ts', 'type', 'value'].sort(),
    );
  });
});
