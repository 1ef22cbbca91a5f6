/** @module embed/config — reads the merchant's settings from the script tag's `data-*` attributes. */
import type { ConsentMode } from '../capture/consent';
import { DEFAULT_URL_PARAMS } from '../capture/page';
import type { TrackerConfig } from '../capture/tracker';
import type { LogLevel } from '../core/logger';

const DAY = 86_400_000;

const int = (v: string | undefined, fallback: number, min: number, max: number) => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

const share = (v: string | undefined) => {
  const text = (v ?? '').trim();
  const n = Number.parseFloat(text) / (text.endsWith('%') ? 100 : 1);
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
};

/**
 * The tag's settings, with defaults:
 * - `data-site` (required): the site key;
 * - `data-endpoint`: the edge server, default the origin the script came from;
 * - `data-consent`: `opt-out` (default) or `opt-in`;
 * - `data-url-params`: extra query parameters to keep in URLs, comma-separated (utm_* always kept);
 * - `data-history-days` (90) and `data-history-max` (5000): bounds of the local history;
 * - `data-flush-ms` (1000): how long events wait to travel together;
 * - `data-batch-size` (100): events per request;
 * - `data-debug`: log to the console;
 * - `data-control` (0): share of shoppers held out of recommendations, 0–1 (or a percentage such as `10%`).
 * Returns null when the tag has no site key.
 */
export function readConfig(script: HTMLScriptElement | null, base: string): TrackerConfig | null {
  const data = script?.dataset ?? {};
  const site = data.site?.trim();
  if (!site) return null;
  let endpoint = data.endpoint?.trim();
  if (!endpoint) {
    try {
      endpoint = new URL(script?.src || base, base).origin;
    } catch {
      endpoint = new URL(base).origin;
    }
  }
  const extra = (data.urlParams ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return {
    site,
    endpoint: endpoint.replace(/\/+$/, ''),
    consentMode: (data.consent === 'opt-in' ? 'opt-in' : 'opt-out') as ConsentMode,
    urlParams: [...DEFAULT_URL_PARAMS, ...extra],
    flushDelayMs: int(data.flushMs, 1000, 0, 60_000),
    batchSize: int(data.batchSize, 100, 1, 500),
    logLevel: ('debug' in data ? 'debug' : 'warn') as LogLevel,
    controlShare: share(data.control),
    limits: {
      historyMaxAgeMs: int(data.historyDays, 90, 1, 3650) * DAY,
      historyMaxCount: int(data.historyMax, 5000, 10, 100_000),
      outboxMaxAgeMs: 30 * DAY,
      outboxMaxCount: 10_000,
    },
  };
}
