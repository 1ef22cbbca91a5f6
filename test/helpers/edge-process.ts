/**
 * @module test/helpers/edge-process — the product's server (`npm run serve`'s entry) as its own
 * process on a free loopback port, with `dataDir` and the profile job off; `env` adds to that.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

const ENTRY = new URL('../../edge-server/src/index.ts', import.meta.url).pathname;

export function spawnEdge(
  dataDir: string,
  env: Record<string, string> = {},
  stdio: SpawnOptions['stdio'] = 'pipe',
): ChildProcess {
  // One process (the tsx CLI would run the server in a child of its own, which a kill would miss).
  return spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', AISLE_DATA_DIR: dataDir, AISLE_PROFILE_HOURS: '0', ...env },
    stdio,
  });
}
