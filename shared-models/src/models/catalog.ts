/**
 * @module shared-models/models/catalog — the shop's catalogue as devices get it: published, signed
 * and verified exactly like a model (a manifest named `catalog` with one shard, `catalog.json`), so
 * a device that pins the site's key takes no product name, price or link it could not verify.
 */
import { z } from 'zod';
import { MANIFEST_VERSION, type ModelManifest, sha256Hex } from './manifest';

export const CATALOG_FILE = 'catalog.json';

/** One product as the recommendation widget shows it. */
export interface CatalogItem {
  item_id: string;
  item_name?: string;
  item_category?: string;
  price?: number;
  in_stock?: boolean;
  /** The product's page on the shop: the widget links only to http(s) pages of the shop's own origin. */
  url?: string;
  /** The product's picture (absolute, or relative to the shop's pages): the widget shows http(s) pictures only. */
  image?: string;
}

const Item = z.object({
  item_id: z.string().min(1).max(256),
  item_name: z.string().max(500).optional(),
  item_category: z.string().max(500).optional(),
  price: z.number().finite().min(0).optional(),
  in_stock: z.boolean().optional(),
  url: z.string().max(2048).optional(),
  image: z.string().max(2048).optional(),
});

/** The catalogue document's items; an item that does not have the shape is left out, never guessed. */
export function parseCatalog(doc: unknown): CatalogItem[] {
  const items = (doc as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  const out: CatalogItem[] = [];
  for (const raw of items) {
    const item = Item.safeParse(raw);
    if (item.success) out.push(item.data);
  }
  return out;
}

/** The manifest of a catalogue file's bytes, ready for `aisle publish` to sign (version: its own, or seconds since 1970). */
export async function catalogManifest(
  bytes: Uint8Array,
  { version = Math.floor(Date.now() / 1000), createdAt = new Date().toISOString(), items = 0 } = {},
): Promise<ModelManifest> {
  return {
    manifest_version: MANIFEST_VERSION,
    name: 'catalog',
    version,
    feature_schema_version: 1,
    created_at: createdAt,
    shards: [{ path: CATALOG_FILE, sha256: await sha256Hex(bytes), size: bytes.byteLength }],
    metrics: { items },
  };
}
