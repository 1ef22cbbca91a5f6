/** @module training/data/read-text — a file's text, or a `DataError` that says plainly why not. */
import { readFileSync } from 'node:fs';
import { DataError } from './errors';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? error})`);
  }
}
