/** @module test/helpers/aisle — runs the `aisle` command as an operator would: a real process, never throwing. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const BIN = new URL('../../training/bin/aisle.mjs', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aisle ...args` in `cwd`; resolves with the exit code and output, whatever the exit code. */
export async function runAisle(cwd: string, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as Run;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
