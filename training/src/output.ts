/** @module training/output — what commands write: a JSON document, or one JSON line per record. */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes one JSON line per record to `file` (its folder created), resolving once it is on disk. */
export async function writeJsonLines(file: string, records: Iterable<unknown>): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const stream = createWriteStream(file);
  for (const record of records) stream.write(`${JSON.stringify(record)}\n`);
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}
