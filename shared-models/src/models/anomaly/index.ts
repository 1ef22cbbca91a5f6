/** @module shared-models/models/anomaly — sessions unlike normal traffic (bots, card testing), with reasons. */

export { decodeAnomaly, encodeAnomaly } from './format';
export {
  type AnomalyManifest,
  type AnomalyModel,
  type AnomalyReason,
  type AnomalyScore,
  anomalyNetwork,
  anomalySchema,
  clampInputs,
  createAnomalyModel,
  errorScale,
  meanErrors,
  NEVER_VARIED_SPREAD,
  percentileOf,
  reconstructionErrors,
} from './model';

import { loader } from '../load';
import { decodeAnomaly } from './format';
import type { AnomalyManifest, AnomalyModel } from './model';

/** The anomaly model from its manifest and files, verified (signature with `keys`, every shard's hash). */
export const load = loader<AnomalyManifest, AnomalyModel>('anomaly', decodeAnomaly);
