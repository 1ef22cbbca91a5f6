/** @module test/bench/datasets — the real data in ../shared/data, read in place (never copied into the repo). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Interaction } from '../../training/src/data/interchange';
import { sortByTime } from '../../training/src/data/interchange';

export const SHARED_DATA = join(import.meta.dirname, '../../../shared/data');
const ML_100K = join(SHARED_DATA, 'ml-100k/u.data');

/** Why a dataset is unavailable, or undefined when it is there. */
export const missing = (file: string) =>
  existsSync(file) ? undefined : `${file} not found: put the shared data in ../shared/data`;

export const movieLensMissing = () => missing(ML_100K);

/** MovieLens-100k ratings as interactions (a rating is an interaction, whatever its value), in time order. */
export function movieLens100k(): Interaction[] {
  const rows = readFileSync(ML_100K, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [user, item, , ts] = line.split('\t');
      return { user_id: user, item_id: item, type: 'rate', ts: Number(ts) * 1000 };
    });
  return sortByTime(rows);
}

const ONLINE_SHOPPERS = join(SHARED_DATA, 'online-shoppers/online_shoppers_intention.csv');
export const onlineShoppersMissing = () => missing(ONLINE_SHOPPERS);
export const onlineShoppersFile = () => ONLINE_SHOPPERS;
