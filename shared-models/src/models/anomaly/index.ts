/** @module shared-models/models/anomaly — sessions unlike normal traffic (bots, card testing), with reasons. */
export {
  type AnomalyManifest,
  type AnomalyModel,
  type AnomalyReason,
  type AnomalyScore,
  anomalyNetwork,
  anomalySchema,
  createAnomalyModel,
  meanErrors,
  percentileOf,
  reconstructionErrors,
} from './model';
