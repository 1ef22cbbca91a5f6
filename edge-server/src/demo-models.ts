/**
 * @module edge-server/demo-models — gives the demo shop models from its first start: writes the
 * catalogue devices download, and, when the demo's models are missing or were trained on another
 * catalogue, trains a recommender and an anomaly model on a season of simulated shoppers
 * (`examples/storefront/history.ts`) with the `aisle` command, in child processes that leave the
 * server free to answer while they work.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { catalogDocument, demoHistory } from '../../examples/storefront/history';
import { toInterchangeCsv } from '../../shared-models/src/schema/interaction';

const AISLE = new URL('../../training/bin/aisle.mjs', import.meta.url).pathname;
/** Bump when the simulated history changes, so existing demo models are retrained. */
const HISTORY_VERSION = 2;

export interface DemoModels {
  /** Resolves when every model is in place (at once when they already were). */
  ready: Promise<void>;
}

export interface DemoModelOptions {
  log?: (line: string) => void;
  /** Simulated shoppers (default 600) and recommender epochs (default 12): smaller for tests. */
  shoppers?: number;
  epochs?: number;
}

export function ensureDemoModels(
  dir: string,
  { log = () => {}, shoppers = 600, epochs = 12 }: DemoModelOptions = {},
): DemoModels {
  mkdirSync(dir, { recursive: true });
  const catalog = `${JSON.stringify(catalogDocument())}\n`;
  const catalogFile = join(dir, 'catalog.json');
  if (!existsSync(catalogFile) || readFileSync(catalogFile, 'utf8') !== catalog) writeFileSync(catalogFile, catalog);
  const stamp = createHash('sha256').update(`${HISTORY_VERSION}/${shoppers}/${epochs}\n${catalog}`).digest('hex');
  const stampFile = join(dir, 'demo-models.stamp');
  const current = existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp;
  if (
    current &&
    existsSync(join(dir, 'recommender', 'manifest.json')) &&
    existsSync(join(dir, 'anomaly', 'manifest.json'))
  ) {
    return { ready: Promise.resolve() };
  }
  const events = join(dir, 'demo-history.csv');
  writeFileSync(events, toInterchangeCsv(demoHistory({ shoppers })));
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [AISLE, ...args], { maxBuffer: 16 * 1024 * 1024 });
  log('training the demo models on a simulated season of shoppers (about a minute, in the background)…');
  const started = Date.now();
  const ready = (async () => {
    await Promise.all([
      run(
        'train',
        'recommender',
        '--events',
        events,
        '--out',
        join(dir, 'recommender'),
        '--epochs',
        String(epochs),
        '--time-budget',
        '60',
      ),
      run('train', 'anomaly', '--events', events, '--out', join(dir, 'anomaly')),
    ]);
    writeFileSync(stampFile, `${stamp}\n`);
    log(`demo models ready in ${((Date.now() - started) / 1000).toFixed(0)} s (${dir})`);
  })();
  ready.catch((error: Error & { stderr?: string }) =>
    log(`could not train the demo models: ${(error.stderr ?? error.message).trim().split('\n').at(-1)}`),
  );
  return { ready };
}
