/**
 * @module training/pipelines/profile — segments shoppers: behaviour up to a cut-off, standardised,
 * k-means for every k from 2 to 8 with the best silhouette kept, each segment named from its centroid.
 */
import { profileRows, referencePrice } from '@aisle/shared-models/features/profile';
import { encodeRows, fitTabular, type TableRow } from '@aisle/shared-models/features/tabular';
import { MANIFEST_VERSION } from '@aisle/shared-models/models/manifest';
import {
  bestKMeans,
  PROFILE_COLUMNS,
  type ProfileManifest,
  type Segment,
  segmentName,
} from '@aisle/shared-models/models/profile';
import { type Interaction, latestTs } from '@aisle/shared-models/schema/interaction';
import { DataError } from '../data/errors';

export interface ProfileOptions {
  asOf?: number;
  /** A fixed number of segments instead of the silhouette's choice. */
  k?: number;
  seed?: number;
  version?: number;
}

export interface ProfileTrainResult {
  manifest: Omit<ProfileManifest, 'shards'>;
  centroids: Float32Array;
  users: string[];
  rows: TableRow[];
  assignment: Int32Array;
  /** Silhouette of each k tried. */
  tried: { k: number; silhouette: number }[];
}

const K_RANGE = [2, 3, 4, 5, 6, 7, 8];

export function trainProfile(events: readonly Interaction[], options: ProfileOptions = {}): ProfileTrainResult {
  const { seed = 42 } = options;
  const asOf = options.asOf ?? latestTs(events);
  const reference = referencePrice(events, asOf);
  const byUser = [...profileRows(events, asOf, reference)];
  if (byUser.length < 10) throw new DataError(`need at least 10 users with events to segment, have ${byUser.length}`);
  const users = byUser.map(([u]) => u);
  const rows = byUser.map(([, r]) => r);
  const tabular = fitTabular(rows, PROFILE_COLUMNS);
  const dim = tabular.columns.length;
  const x = encodeRows(tabular, rows);
  const ks = options.k ? [options.k] : K_RANGE.filter((k) => k < users.length);
  if (options.k && options.k >= users.length) throw new DataError(`--k ${options.k}: only ${users.length} users`);
  const search = bestKMeans(x, dim, ks, seed);
  const { tried } = search;
  const chosen = { k: search.best.k, silhouette: search.silhouette, model: search.best };
  const names = new Map<string, number>();
  const segments: Segment[] = Array.from({ length: chosen.k }, (_, j) => {
    const members = rows.filter((_, i) => chosen.model.assignment[i] === j);
    const profile: Record<string, number> = {};
    const z: Record<string, number> = {};
    tabular.columns.forEach((c, f) => {
      const values = members
        .map((r) => r[c.name])
        .filter((v) => v !== undefined && v !== '')
        .map(Number);
      profile[c.name] = values.length ? Math.round((values.reduce((s, v) => s + v, 0) / values.length) * 100) / 100 : 0;
      z[c.name] = chosen.model.centroids[j * dim + f];
    });
    // Two segments may read the same; number the second rather than hide the difference.
    const base = segmentName(z);
    const seen = (names.get(base) ?? 0) + 1;
    names.set(base, seen);
    return { id: j, name: seen > 1 ? `${base} ${seen}` : base, size: members.length, profile };
  });
  const revenues = rows
    .map((r) => Number(r.revenue || 0))
    .filter((v) => v > 0)
    .sort((a, b) => a - b);
  const manifest: Omit<ProfileManifest, 'shards'> = {
    manifest_version: MANIFEST_VERSION,
    name: 'profile',
    version: options.version ?? 1,
    feature_schema_version: tabular.version,
    created_at: new Date().toISOString(),
    tabular,
    k: chosen.k,
    silhouette: chosen.silhouette,
    segments,
    reference_price: reference,
    big_spender_revenue: revenues.length ? revenues[Math.floor(0.9 * (revenues.length - 1))] : 0,
    metrics: { silhouette: chosen.silhouette, tried, users: users.length, as_of: new Date(asOf).toISOString() },
  };
  return { manifest, centroids: chosen.model.centroids, users, rows, assignment: chosen.model.assignment, tried };
}
