/**
 * @module training/pipelines/anomaly-eval — how well an anomaly model separates injected attacks
 * (eight kinds, `anomaly-attacks`) from a log's own sessions, each kind on its own, next to the
 * baselines it must beat on the same sessions: two one-line rules (events per minute, event
 * count), a session's most extreme standardised feature (no learning at all) and an isolation
 * forest over the same encoded features, fitted on the log's own sessions.
 */
import { encodeRows, inputSize } from '@aisle/shared-models/features/tabular';
import { type AnomalyModel, percentileOf } from '@aisle/shared-models/models/anomaly';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { DataError } from '../data/errors';
import { rocAuc } from '../eval/classification';
import { isolationForest } from '../eval/isolation-forest';
import { quantile, sessionTable } from './anomaly';
import { ATTACK_KINDS, type AttackKind, injectSessions } from './anomaly-attacks';

export interface Detection {
  /** Injected sessions of this kind. */
  sessions: number;
  rocAuc: number;
  /** Share of the injected sessions caught at the threshold that flags 1 % of the log's own. */
  recallAt1PctFpr: number;
}

export type ByKind = Record<'all' | AttackKind, Detection>;

export const DETECTORS = ['autoencoder', 'events_per_minute', 'events', 'max_z', 'isolation_forest'] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** How each detector is named in a table. */
export const DETECTOR_LABELS: Record<DetectorName, string> = {
  autoencoder: 'autoencoder',
  events_per_minute: 'events per minute (rule)',
  events: 'event count (rule)',
  max_z: 'max z-score (no model)',
  isolation_forest: 'isolation forest',
};

export interface AnomalyEvaluation {
  normalCount: number;
  /** Share of the log's own sessions flagged at the model's flag_at. */
  falsePositives: number;
  /** Share of each kind's sessions flagged at the model's flag_at. */
  flaggedRecall: Record<'all' | AttackKind, number>;
  /** Of the 1 % of sessions the model scores highest, the share whose score another of them shares: what no threshold there can separate. */
  tiedAtTop: number;
  /** The same for the plain percentile (no fitted tail), what models before the tail scored. */
  tiedAtTopPlain: number;
  detectors: Record<DetectorName, ByKind>;
}

export const KIND_NAMES: readonly ('all' | AttackKind)[] = ['all', ...ATTACK_KINDS];

/** Of the highest 1 % of `scores` (at least one), the share equal to another among them. */
export function tiedShare(scores: readonly number[]): number {
  const top = [...scores].sort((a, b) => b - a).slice(0, Math.max(1, Math.ceil(scores.length * 0.01)));
  const counts = new Map<number, number>();
  for (const s of top) counts.set(s, (counts.get(s) ?? 0) + 1);
  return top.filter((s) => (counts.get(s) ?? 0) > 1).length / top.length;
}

/** ROC-AUC and recall at 1 % false positives of `statistic` (higher is more suspect) for each kind. */
function detections(
  statistic: ArrayLike<number>,
  kinds: readonly (AttackKind | undefined)[],
  present: readonly AttackKind[],
): ByKind {
  const normal = Float64Array.from(kinds.flatMap((k, i) => (k === undefined ? [statistic[i]] : []))).sort();
  const at1Pct = quantile(normal, 0.99);
  const detect = (kind?: AttackKind): Detection => {
    const picked = kinds.flatMap((k, i) => (k === undefined || (k !== undefined && (!kind || k === kind)) ? [i] : []));
    const bad = picked.filter((i) => kinds[i] !== undefined);
    return {
      sessions: bad.length,
      rocAuc: rocAuc(
        picked.map((i) => statistic[i]),
        picked.map((i) => (kinds[i] === undefined ? 0 : 1)),
      ),
      recallAt1PctFpr: bad.length ? bad.filter((i) => statistic[i] > at1Pct).length / bad.length : Number.NaN,
    };
  };
  return Object.fromEntries([['all', detect()], ...present.map((k) => [k, detect(k)])]) as ByKind;
}

/**
 * Injects `count` attacks of `kinds` (all eight unless given) into `events` (seeded), scores every
 * session with the model and each baseline, and measures the separation for every kind.
 */
export function evaluateAnomaly(
  model: AnomalyModel,
  events: readonly Interaction[],
  count: number,
  seed: number,
  kinds: readonly AttackKind[] = ATTACK_KINDS,
): AnomalyEvaluation {
  const { manifest } = model;
  const injected = injectSessions(events, count, seed, kinds);
  const table = sessionTable(injected.events, manifest);
  const scores = model.score(table.rows);
  const truth = table.ids.map((id) => injected.sessions.get(id));
  const normalCount = truth.filter((k) => k === undefined).length;
  if (normalCount < 20) throw new DataError(`only ${normalCount} sessions of the log's own to compare with`);
  const n = table.rows.length;
  const dim = inputSize(manifest.tabular);
  const z = encodeRows(manifest.tabular, table.rows);
  const maxZ = table.rows.map((_, r) => {
    let m = 0;
    for (let f = 0; f < dim; f++) m = Math.max(m, Math.abs(z[r * dim + f]));
    return m;
  });
  const column = (name: string) => table.rows.map((r) => Number(r[name] || 0));
  // The forest learns from the log's own sessions only, as the model learnt from normal traffic
  // only: fitted on the injected ones too, a cluster of attacks would hide itself.
  const own = truth.flatMap((k, i) => (k === undefined ? [i] : []));
  const ownRows = new Float32Array(own.length * dim);
  for (const [j, r] of own.entries()) ownRows.set(z.subarray(r * dim, (r + 1) * dim), j * dim);
  const forest = isolationForest(ownRows, own.length, dim, { seed }).score(z, n);
  const statistics: Record<DetectorName, ArrayLike<number>> = {
    autoencoder: scores.map((s) => s.error),
    events_per_minute: column('events_per_minute'),
    events: column('events'),
    max_z: maxZ,
    isolation_forest: forest,
  };
  const flaggedShare = (kind?: AttackKind) => {
    const bad = truth.flatMap((k, i) => (k !== undefined && (!kind || k === kind) ? [i] : []));
    return bad.length ? bad.filter((i) => scores[i].flagged).length / bad.length : Number.NaN;
  };
  return {
    normalCount,
    falsePositives: scores.filter((s, i) => truth[i] === undefined && s.flagged).length / normalCount,
    flaggedRecall: Object.fromEntries([['all', flaggedShare()], ...kinds.map((k) => [k, flaggedShare(k)])]) as Record<
      'all' | AttackKind,
      number
    >,
    tiedAtTop: tiedShare(scores.map((s) => s.score)),
    tiedAtTopPlain: tiedShare(scores.map((s) => percentileOf(s.error, manifest.error_percentiles))),
    detectors: Object.fromEntries(DETECTORS.map((d) => [d, detections(statistics[d], truth, kinds)])) as Record<
      DetectorName,
      ByKind
    >,
  };
}
