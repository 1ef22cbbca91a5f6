/**
 * @module shared-models/models/profile/model — shopper segments: standardised behaviour features,
 * the nearest k-means centroid, a name read off that centroid, and rule-based tags beside it.
 */
import { BEHAVIOUR_COLUMNS, ORDER_COLUMNS } from '../../features/behaviour';
import { PROFILE_EXTRA_COLUMNS, typicalHour } from '../../features/profile';
import { encodeRows, type TableRow, type TabularSchema } from '../../features/tabular';
import type { ModelManifest } from '../manifest';
import { nearest } from './kmeans';

/**
 * The columns segments are drawn from: numeric behaviour (RFM, engagement, funnel, trend) and the
 * profile's own. The order columns (rhythm, returns) are churn's: segments are named from the
 * columns they were drawn from, and stay as they were.
 */
const IN_SEGMENTS = (c: string) => c !== 'top_category' && !(ORDER_COLUMNS as readonly string[]).includes(c);
export const PROFILE_COLUMNS = [...BEHAVIOUR_COLUMNS.filter(IN_SEGMENTS), ...PROFILE_EXTRA_COLUMNS];

export interface Segment {
  id: number;
  name: string;
  size: number;
  /** The centroid in the features' own units (means of the members), for people to read. */
  profile: Record<string, number>;
}

export interface ProfileManifest extends ModelManifest {
  name: 'profile';
  tabular: TabularSchema;
  k: number;
  silhouette: number;
  segments: Segment[];
  /** Revenue from which a shopper is tagged a big spender: the 90th percentile in training. */
  big_spender_revenue: number;
  /** The shop's median price in training, which `relative_price` divides by. */
  reference_price: number;
  /** The second facet: segments of taste, from the recommender's view of each shopper's history. */
  taste?: TasteFacet;
}

export interface TasteSegment {
  id: number;
  name: string;
  size: number;
  /** The categories and items its members interact with most. */
  top_categories: string[];
  top_items: string[];
}

export interface TasteFacet {
  /** The recommender whose embeddings the centroids live among: another version's would not fit. */
  recommender_version: number;
  k: number;
  silhouette: number;
  dim: number;
  segments: TasteSegment[];
}

export interface TasteResult {
  taste_segment: number | null;
  taste_name: string | null;
}

/** The nearest taste centroid to each embedding (L2-normalised); null for a shopper with none. */
export function assignTaste(
  facet: TasteFacet,
  centroids: Float32Array,
  embeddings: readonly (Float32Array | undefined)[],
): TasteResult[] {
  return embeddings.map((v) => {
    if (!v) return { taste_segment: null, taste_name: null };
    const segment = nearest(v, 0, centroids, facet.dim);
    return { taste_segment: segment, taste_name: facet.segments[segment].name };
  });
}

export interface ProfileResult {
  segment: number;
  segment_name: string;
  tags: string[];
}

/** What each segment name means, in words a shopper reads (the extension's privacy centre shows it). */
export const SEGMENT_MEANINGS: Record<string, string> = {
  'high-value loyal': 'you buy here often and spend more than most shoppers',
  lapsing: 'you used to visit, but not lately',
  newcomers: 'you started visiting this store recently',
  'window shoppers': 'you look at many products and have not bought yet',
  'bargain hunters': 'you buy, mostly lower-priced items',
  'heavy browsers': 'you visit often and look at a lot',
  'occasional visitors': 'you visit now and then',
  regulars: 'you shop here the way most shoppers do',
};

/**
 * A name for a centroid from its standardised values (0 is the average shopper): the first rule
 * that fits, in order of what a merchant acts on first.
 */
export function segmentName(z: Record<string, number>): string {
  if (z.revenue > 0.5 && z.purchases > 0.5) return 'high-value loyal';
  if (z.days_since_last_event > 0.5) return 'lapsing';
  if (z.days_since_first_event < -0.5 && z.events < 0) return 'newcomers';
  if (z.views > 0.3 && z.purchases <= 0) return 'window shoppers';
  if (z.purchases > 0 && (z.relative_price < -0.5 || z.average_order_value < -0.3)) return 'bargain hunters';
  if (z.events > 0.5 && z.active_days > 0) return 'heavy browsers';
  if (z.events < -0.3 && z.active_days <= 0) return 'occasional visitors';
  return 'regulars';
}

/** Tags that hold for one shopper whatever their segment. */
export function tags(row: TableRow, bigSpender: number): string[] {
  const n = (c: string) => Number(row[c] || 0);
  const out: string[] = [];
  if (!n('purchases')) out.push('never bought');
  if (n('carts') > 0 && n('purchases') < n('carts') / 2) out.push('cart abandoner');
  if (bigSpender > 0 && n('revenue') >= bigSpender) out.push('big spender');
  if (n('days_since_last_event') > 30) out.push('inactive 30 days');
  if (row.top_category) out.push(`likes ${row.top_category}`);
  const price = Number(row.relative_price || 0);
  if (price > 0 && price < 0.8) out.push('price-sensitive');
  if (price > 1.25) out.push('premium taste');
  const when = typicalHour(row);
  if (when.strength > 0.5 && (when.hour >= 22 || when.hour < 5)) out.push('shops at night (UTC)');
  if (n('weekend_share') > 0.6) out.push('weekend shopper');
  if (row.mobile_share !== undefined && row.mobile_share !== '' && n('mobile_share') >= 0.7) out.push('mostly mobile');
  return out;
}

export function assignSegments(
  manifest: ProfileManifest,
  centroids: Float32Array,
  rows: readonly TableRow[],
): ProfileResult[] {
  const dim = manifest.tabular.columns.length;
  const x = encodeRows(manifest.tabular, rows);
  return rows.map((row, i) => {
    const segment = nearest(x, i, centroids, dim);
    return { segment, segment_name: manifest.segments[segment].name, tags: tags(row, manifest.big_spender_revenue) };
  });
}

/** A loaded profile model: segments (and the taste facet, where trained) for rows and embeddings. */
export interface ProfileModel {
  readonly manifest: ProfileManifest;
  assign(rows: readonly TableRow[]): ProfileResult[];
  /** Taste segments for recommender embeddings; undefined without the facet. */
  assignTaste(embeddings: readonly (Float32Array | undefined)[]): TasteResult[] | undefined;
  /** Nothing to free (the centroids live in plain arrays); here so every model is handled alike. */
  dispose(): void;
}

export function createProfileModel(
  manifest: ProfileManifest,
  centroids: Float32Array,
  tasteCentroids?: Float32Array,
): ProfileModel {
  return {
    manifest,
    assign: (rows) => assignSegments(manifest, centroids, rows),
    assignTaste: (embeddings) =>
      manifest.taste && tasteCentroids ? assignTaste(manifest.taste, tasteCentroids, embeddings) : undefined,
    dispose() {},
  };
}
