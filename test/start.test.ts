/**
 * The server process as an operator runs it (`npm run serve`, under `npm start`'s demo too): the generated operator token is printed in
 * full once, when it is made, and never again (logs are read by more people than the data dir).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnEdge } from './helpers/edge-process';

/** Starts the server on a free port with `dataDir`, waits for its banner, stops it; its output. */
function startOnce(dataDir: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnEdge(dataDir, { AISLE_OPERATOR_TOKEN: '', ...env });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no banner in 30 s:\n${out}`));
    }, 30_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('operator token:') && out.split('operator token:')[1].includes('\n')) child.kill('SIGTERM');
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('the server process npm start runs', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'aisle-start-')), 'data');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints a generated operator token once, on the start that made it, and only its place after', async () => {
    const first = await startOnce(dataDir);
    const token = readFileSync(join(dataDir, 'operator-token'), 'utf8').trim();
    // The data dir and the store are the operator's alone: other local users read neither.
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'aisle.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'operator-token')).mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(first).toContain(token);
    const second = await startOnce(dataDir);
    expect(second).toContain('operator token:');
    expect(second).toContain(join(dataDir, 'operator-token'));
    expect(second).not.toContain(token);
    const fromEnv = await startOnce(dataDir, { AISLE_OPERATOR_TOKEN: 'token-from-the-environment-0000' });
    expect(fromEnv).not.toContain('token-from-the-environment-0000');
  }, 90_000);
});
