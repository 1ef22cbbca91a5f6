/** @module sync/beacon — last words on page exit: `sendBeacon` of events that may not have reached the worker or IndexedDB. */

import type { AisleEvent } from '@aisle/shared-models/schema/event';
import { siteUrl } from '../core/endpoints';

/** Beacons share a 64 KiB budget per page with keepalive requests; stay under it. */
export const BEACON_BYTES = 60_000;

/** Sends as many of `events` as fit; the server deduplicates whatever also arrives later from the outbox. */
export function sendEventsBeacon(endpoint: string, site: string, events: readonly AisleEvent[]): boolean {
  if (!events.length || typeof navigator === 'undefined' || !navigator.sendBeacon) return false;
  const kept: string[] = [];
  let size = 20;
  for (const e of events) {
    const json = JSON.stringify(e);
    size += json.length + 1;
    if (size > BEACON_BYTES) break;
    kept.push(json);
  }
  const blob = new Blob([`{"events":[${kept.join(',')}]}`], { type: 'text/plain;charset=UTF-8' });
  return navigator.sendBeacon(siteUrl(endpoint, 'events', site), blob);
}
