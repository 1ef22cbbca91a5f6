/** @module shared-models/models/profile — shopper segments (k-means over behaviour, and over taste) with names and tags. */

export { decodeProfile, encodeProfile, PROFILE_FORMAT, type ProfileParts } from './format';
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

import { loader } from '../load';
import { decodeProfile } from './format';
import type { ProfileManifest, ProfileModel } from './model';

/** The profile model from its manifest and files, verified (signature with `keys`, every shard's hash). */
export const load = loader<ProfileManifest, ProfileModel>('profile', decodeProfile);
