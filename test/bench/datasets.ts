/** @module test/bench/datasets — the real data in ../shared/data, read in place (never copied into the repo). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Interaction } from '../../training/src/data/interchange';
import { sortByTime } from '../../training/src/data/interchange';
import { readInvoiceLines } from '../../training/src/data/invoices';
import { preprocess } from '../../training/src/data/preprocess';

export const SHARED_DATA = join(import.meta.dirname, '../../../shared/data');
const ML_100K = join(SHARED_DATA, 'ml-100k/u.data');

/** Why a dataset is unavailable, or undefined when it is there. */
export const missing = (file: string) =>
  existsSync(file) ? undefined : `${file} not found: put the shared data in ../shared/data`;

export const movieLensMissing = () => missing(ML_100K);

/**
 * MovieLens-100k ratings as interactions (a rating is an interaction, whatever its value), in time
 * order; with `genres`, each movie's first listed genre as its category.
 */
export function movieLens100k({ genres = false } = {}): Interaction[] {
  const categories = genres ? movieGenres() : new Map<string, string>();
  const rows = readFileSync(ML_100K, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [user, item, , ts] = line.split('\t');
      const row: Interaction = { user_id: user, item_id: item, type: 'rate', ts: Number(ts) * 1000 };
      const category = categories.get(item);
      if (category) row.category = category;
      return row;
    });
  return sortByTime(rows);
}

/** Each movie's first listed genre, from u.item's genre flags and u.genre's names. */
function movieGenres(): Map<string, string> {
  const dir = join(SHARED_DATA, 'ml-100k');
  const names = readFileSync(join(dir, 'u.genre'), 'latin1')
    .trim()
    .split('\n')
    .map((l) => l.split('|')[0]);
  const out = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'u.item'), 'latin1').trim().split('\n')) {
    const fields = line.split('|');
    const flags = fields.slice(5);
    const first = flags.indexOf('1');
    if (first >= 0) out.set(fields[0], names[first]);
  }
  return out;
}

const ONLINE_SHOPPERS = join(SHARED_DATA, 'online-shoppers/online_shoppers_intention.csv');
export const onlineShoppersMissing = () => missing(ONLINE_SHOPPERS);
export const onlineShoppersFile = () => ONLINE_SHOPPERS;

const YOOCHOOSE = join(SHARED_DATA, 'yoochoose-rsc15');
export const yooChooseMissing = () => missing(join(YOOCHOOSE, 'rec15_train_full.txt'));

/**
 * YooChoose's real anonymous browsing sessions (RecSys Challenge 2015, the rsc15 split: train and
 * the last day's test together) as `view_item` interactions, each session its own shopper, with the
 * item's category (0, unknown, left blank); in time order.
 */
export function yooChooseClicks(): Interaction[] {
  const rows: Interaction[] = [];
  for (const file of ['rec15_train_full.txt', 'rec15_test.txt']) {
    const lines = readFileSync(join(YOOCHOOSE, file), 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [session, item, category, time] = line.split('\t');
      const row: Interaction = {
        user_id: `yc-${session}`,
        session_id: `yc-${session}`,
        item_id: item,
        type: 'view_item',
        ts: Math.round(Number(time) * 1000),
      };
      if (category !== '0') row.category = category;
      rows.push(row);
    }
  }
  return sortByTime(rows);
}

const ONLINE_RETAIL = join(SHARED_DATA, 'online-retail/online_retail.csv');
export const onlineRetailMissing = () => missing(ONLINE_RETAIL);
export const onlineRetailFile = () => ONLINE_RETAIL;

/** The Online Retail year as the trainer reads an invoice export: purchases and refunds, bot-like customers left out. */
export const onlineRetailEvents = (): Interaction[] =>
  preprocess(readInvoiceLines(onlineRetailFile()), new Map(), { excludeBots: true });

/** Its purchase lines alone: what the recommender benchmarks learn the next item bought from. */
export const onlineRetailPurchases = (): Interaction[] => onlineRetailEvents().filter((e) => e.type === 'purchase');
