/** @module shared-models/models/churn/types — the churn model's manifest and what it answers. */
import type { TabularSchema } from '../../features/tabular';
import type { ModelManifest } from '../manifest';

/**
 * `mlp+rfm`: the MLP's logit and an RFM logistic regression's (recency, frequency, money), each over
 * its spread, summed — on a real purchase history the RFM regression alone was as good as the MLP
 * and better than XGBoost, and their average beat both.
 */
export type ChurnArchitecture = 'logistic' | 'mlp' | 'mlp+rfm';

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
  /** For `events` with purchases: each customer's expected orders and spend (see `CustomerValueModel`). */
  value?: CustomerValueModel;
}

/** How forecasts of each customer's orders and spend compared with what they did. */
export interface ValueMetrics {
  customers: number;
  /** Mean absolute error of orders (days with a purchase) and of spend (paid less refunded) per customer. */
  orders_mae: number;
  spend_mae: number;
  /** Spearman's rank correlation between forecast and realised, over customers. */
  orders_spearman: number;
  spend_spearman: number;
  /** The shop's totals, forecast and realised. */
  predicted_orders: number;
  actual_orders: number;
  predicted_spend: number;
  actual_spend: number;
}

/**
 * Customer value: BG/NBD (orders while active, and the chance of being active; time in days) and
 * Gamma-Gamma (what an order is worth, shrunk to the shop's mean), fitted on the purchase
 * histories up to `as_of`; `metrics` judge its forecast of the `horizon_days` after it.
 */
export interface CustomerValueModel {
  kind: 'bg-nbd+gamma-gamma';
  as_of: string;
  horizon_days: number;
  /** Customers (an order at or before `as_of`) it was fitted on. */
  customers: number;
  bg_nbd: { r: number; alpha: number; a: number; b: number };
  /** Absent with too few customers who kept what they bought: each customer's own mean stands. */
  gamma_gamma: { p: number; q: number; v: number } | null;
  /**
   * Whether the likelihoods' search settled, and the parameters it left at the edge of their range
   * (e^±12), where the likelihood ran flat: a → 0 with b large, say, is a shop whose customers show
   * no sign of leaving for good, so every chance of being active reads about 1.
   */
  fit?: { converged: boolean; at_bounds: string[] };
  metrics?: ValueMetrics;
  /** The simple forecasts on the same customers: the last period again, each customer's own average rate. */
  baselines?: Record<string, ValueMetrics>;
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
