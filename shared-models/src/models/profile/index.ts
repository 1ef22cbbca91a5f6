/** @module shared-models/models/profile — shopper segments (k-means over behaviour) with names and tags. */
export { type KMeans, kmeans, nearest, silhouette } from './kmeans';
export {
  assignSegments,
  PROFILE_COLUMNS,
  type ProfileManifest,
  type ProfileResult,
  type Segment,
  segmentName,
  tags,
} from './model';
