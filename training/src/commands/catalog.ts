/**
 * @module training/commands/catalog — `aisle catalog pack`: the shop's catalogue as a model
 * directory (a manifest named `catalog` and its one file), so `aisle publish` signs it and devices
 * verify it like any model: no product name, price or link reaches a shopper unsigned.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_FILE, catalogManifest, parseCatalog } from '@aisle/shared-models/models/catalog';
import { DataError } from '../data/errors';
import { type Command, intOption, stringOption } from './command';

export const catalogPack: Command = {
  summary: 'packs a catalogue file ({ "items": [...] }) for aisle publish',
  usage: ['--file FILE --out DIR [--version N]'],
  description: `Reads FILE ({ "items": [{ "item_id", "item_name", "item_category", "price", "in_stock", "url", "image" }] }),
leaves out items without that shape (and says how many), and writes DIR/${CATALOG_FILE} and
DIR/manifest.json (model "catalog"). Publish it with aisle publish --model DIR: a device that pins
the site's key (data-key) takes only a signed catalogue, links only to http(s) pages of the
shop's own origin, and shows only http(s) pictures (an image's address may be relative to the shop's pages).`,
  options: {
    file: { value: 'FILE', help: 'the catalogue as JSON' },
    out: { value: 'DIR', help: 'where to write the catalogue and its manifest' },
    version: { value: 'N', help: 'its version (default: the seconds since 1970, so each pack is newer)' },
  },
  async run(values) {
    const file = stringOption(values, 'file', true);
    const out = stringOption(values, 'out', true);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new DataError(`cannot read the catalogue ${file}: ${(error as Error).message}`);
    }
    const raw = (doc as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(raw)) throw new DataError(`${file} is not a catalogue: expected { "items": [...] }`);
    const items = parseCatalog(doc);
    if (!items.length) throw new DataError(`${file} has no item with an item_id`);
    const bytes = Buffer.from(`${JSON.stringify({ items })}\n`);
    const version = values.version === undefined ? undefined : intOption(values, 'version', 1);
    const manifest = await catalogManifest(bytes, { version, items: items.length });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, CATALOG_FILE), bytes);
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const left = raw.length - items.length;
    console.log(
      `packed ${items.length} items as catalog v${manifest.version} in ${out}${left ? ` (left out ${left} without the shape of an item)` : ''}`,
    );
  },
};
