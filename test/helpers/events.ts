/** @module test/helpers/events — valid events to start from, so each test states only what it changes. */
import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { uuidv7 } from '@aisle/shared-models/schema/ids';

export function makeEvent(overrides: Partial<AisleEvent> & Record<string, unknown> = {}): AisleEvent {
  return {
    // Version 7, as the storefront script makes them.
    event_id: uuidv7(),
    type: 'view_item',
    ts: Date.now() - 1000,
    anonymous_id: 'anon-1',
    session_id: 'sess-1',
    items: [{ item_id: 'SKU-1', item_name: 'Trail Runner', price: 89.95, item_category: 'Shoes' }],
    page: { url: 'https://shop.example/p/SKU-1' },
    ...overrides,
  } as AisleEvent;
}

export const makeEvents = (n: number, overrides: Partial<AisleEvent> = {}) =>
  Array.from({ length: n }, () => makeEvent(overrides));
