/** @module test/bench/size — how many bytes every storefront page pays for the tag. */
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { type Row, report } from './report';

/** The target, and the published sizes it names for comparison (not measured here). */
const TARGET_GZIP = 12 * 1024;

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;

export function benchSize(file = 'dist/aisle.js', syncFile = 'dist/aisle-sync.js') {
  const js = readFileSync(file);
  const gzip = gz(js);
  const brotli = brotliCompressSync(js, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  const sync = readFileSync(syncFile);
  const rows: Row[] = [
    { metric: 'aisle.js minified', value: js.length, unit: 'B' },
    {
      metric: 'aisle.js gzip -9',
      value: gzip,
      unit: 'B',
      reference: `target <= ${TARGET_GZIP} B; Snowplow tracker 17.4 KB, posthog-js 54 KB (published)`,
      pass: gzip <= TARGET_GZIP,
    },
    { metric: 'aisle.js brotli -11', value: brotli, unit: 'B' },
    {
      metric: 'aisle-sync.js gzip -9 (storage and sync, loaded into a worker after start)',
      value: gz(sync),
      unit: 'B',
    },
  ];
  report('size', 'Storefront script size', rows);
  return rows;
}
