/**
 * @module infer/recs — the entry of `aisle-recs.js`: the page's side of on-device inference
 * (`./client`), loaded by the tag once the page is idle and the shopper consents to personalisation.
 */
import { startInference } from './client';
import type { RecsScript } from './later';

const g = globalThis as { __aisleRecs?: RecsScript };
g.__aisleRecs ??= { startInference };
