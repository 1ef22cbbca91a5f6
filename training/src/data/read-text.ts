/** @module training/data/read-text — a file's text, or a `DataError` that says plainly why not. */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { DataError } from './errors';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? error})`);
  }
}

/** The first `bytes` of a file as text (a header to recognise), or a `DataError` as `readText` gives. */
export function readHead(file: string, bytes = 4096): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return readText(file);
  }
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0)).toString('utf8');
  } catch {
    return readText(file);
  } finally {
    closeSync(fd);
  }
}
