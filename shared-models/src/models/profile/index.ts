/** @module shared-models/models/profile — shopper segments (k-means over behaviour, and over taste) with names and tags. */
export { bestKMeans, type KMeans, kmeans, nearest, silhouette } from './kmeans';
export {
  assignSegments,
  assignTaste,
  createProfileModel,
  PROFILE_COLUMNS,
  type ProfileManifest,
  type ProfileModel,
  type ProfileResult,
  SEGMENT_MEANINGS,
  type Segment,
  segmentName,
  type TasteFacet,
  type TasteResult,
  type TasteSegment,
  tags,
} from './model';
