/**
 * @module training/data/source — where a command's events come from: an interchange file
 * (`--events FILE`) or the edge store (`--from sqlite:PATH` or `--from postgres:URL`), read, never written.
 */
import { existsSync } from 'node:fs';
import { type EventReader, openReader } from '@aisle/edge-server/storage/reader';
import { toInteractions } from '@aisle/shared-models/schema/interaction';
import { DataError } from './errors';
import { type Dropped, type Interaction, readInteractions, sortByTime } from './interchange';
import { isInvoiceHeader, readInvoiceLines } from './invoices';
import { describeDropped, preprocess } from './preprocess';
import { readHead } from './read-text';

export interface SourceOptions {
  events?: string;
  from?: string;
  /** With `from`: only this site's events (a store holds every site's). */
  site?: string;
  /** Training leaves bot-like sessions out; scoring and evaluation keep them. */
  purpose?: 'train' | 'score';
  /** For training: sessions labelled human, kept even when they look bot-like. */
  humans?: ReadonlySet<string>;
}

/**
 * The interactions of a command's source, sorted by time and preprocessed (unreadable rows,
 * duplicates and impossible events left out; for training, bot-like sessions too), with one line
 * on stderr counting what was left out. A `DataError` when nothing usable is left.
 */
export async function loadInteractions({
  events,
  from,
  site,
  purpose = 'score',
  humans,
}: SourceOptions): Promise<Interaction[]> {
  if (events && from) throw new DataError('give either --events FILE or --from STORE, not both');
  if (!events && !from) throw new DataError('missing --events FILE (or --from sqlite:PATH | postgres:URL)');
  const dropped: Dropped = new Map();
  const rows = events ? readEventsFile(events, dropped) : await readWholeStore(from as string, site);
  const read = rows.length + [...dropped.values()].reduce((s, d) => s + d.count, 0);
  const kept = preprocess(rows, dropped, { excludeBots: purpose === 'train', humans });
  const note = describeDropped(dropped, read);
  if (note) console.error(`aisle: ${note}`);
  if (!kept.length) throw new DataError(`${events ?? from}: no usable events left`);
  return kept;
}

/** An interchange file, or a shop's invoice-line export (recognised by its header). */
function readEventsFile(file: string, dropped: Dropped): Interaction[] {
  const header = readHead(file).split('\n')[0];
  return isInvoiceHeader(header) ? readInvoiceLines(file, dropped) : readInteractions(file, dropped);
}

async function readWholeStore(from: string, site?: string): Promise<Interaction[]> {
  const storage = openStore(from);
  try {
    const rows = await readStore(storage, site);
    if (!rows.length) throw new DataError(`${from}: no events${site ? ` of site ${site}` : ''} in the store`);
    return sortByTime(rows);
  } finally {
    await storage.close();
  }
}

/** The store behind `--from`, opened read-only (no writer threads, no migration). */
function openStore(from: string): EventReader {
  if (from.startsWith('sqlite:')) {
    const file = from.slice('sqlite:'.length);
    if (!existsSync(file)) throw new DataError(`${file}: no such SQLite store`);
    try {
      return openReader(from);
    } catch (error) {
      throw new DataError(`${file}: cannot read the store: ${(error as Error).message}`);
    }
  }
  if (from.startsWith('postgres:') || from.startsWith('postgresql:')) return openReader(from);
  throw new DataError(`--from ${from}: expected sqlite:PATH or postgres://…`);
}

async function readStore(storage: EventReader, site?: string): Promise<Interaction[]> {
  const rows: Interaction[] = [];
  let after = 0;
  for (;;) {
    let page: Awaited<ReturnType<EventReader['events']>>;
    try {
      page = await storage.events({ after, limit: 10_000, site });
    } catch (error) {
      throw new DataError(`cannot read events from the store: ${(error as Error).message}`);
    }
    if (!page.length) return rows;
    for (const { event } of page) rows.push(...toInteractions(event));
    after = page[page.length - 1].seq;
  }
}

/** The risk flags an operator labelled on the dashboard, as session ids: confirmed bots and false alarms. */
export async function readRiskLabels(
  from: string,
  site?: string,
): Promise<{ confirmed: Set<string>; humans: Set<string> }> {
  const storage = openStore(from);
  try {
    const labels = await storage.labels(site);
    return {
      confirmed: new Set(labels.filter((l) => l.label === 'confirmed').map((l) => l.session_id)),
      humans: new Set(labels.filter((l) => l.label === 'false').map((l) => l.session_id)),
    };
  } finally {
    await storage.close();
  }
}
