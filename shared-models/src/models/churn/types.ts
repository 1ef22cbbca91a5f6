/** @module shared-models/models/churn/types — the churn model's manifest and what it answers. */
import type { TabularSchema } from '../../features/tabular';
import type { ModelManifest } from '../manifest';

export type ChurnArchitecture = 'logistic' | 'mlp';

export interface ChurnManifest extends ModelManifest {
  name: 'churn';
  /** Trained from a customer table (one row per customer), or from events (behaviour up to a cut-off). */
  source: 'table' | 'events';
  /** For `events`: what churn meant, and the cut-off it was trained at. */
  behaviour?: { as_of: string; cut_offs?: string[]; horizon_days: number; label_by: 'purchase' | 'visit' };
  architecture: ChurnArchitecture;
  label: string;
  /** The label value that counts as churn (or as the event being predicted). */
  positive: string;
  tabular: TabularSchema;
  /** Platt scaling of the network's logit, fitted on validation rows: p = sigmoid(a * logit + b). */
  calibration: { a: number; b: number };
  /** Probability at or above which a row is flagged, chosen for F1 on validation rows. */
  threshold: number;
}

/** One column's push on one score: how much the logit drops when the column is set to its average. */
export interface Reason {
  feature: string;
  /** The cell as given ('' for a blank). */
  value: string;
  /** Change in log-odds the column's value causes; positive raises the probability. */
  effect: number;
  /** The reason in words, from the shopper's own numbers ("no order for 94 days, was every 21"). */
  text?: string;
}

export interface ChurnScore {
  probability: number;
  flagged: boolean;
  /** Up to three columns that raise the probability most, strongest first. */
  reasons: Reason[];
}
