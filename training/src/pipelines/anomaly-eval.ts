/**
 * @module training/pipelines/anomaly-eval — how well an anomaly model separates injected attacks
 * from a log's own sessions, next to the baseline it must beat: a session's most extreme
 * standardised feature, with no learning at all.
 */
import { encodeRows } from '@aisle/shared-models/features/tabular';
import { type AnomalyModel, percentileOf } from '@aisle/shared-models/models/anomaly';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { DataError } from '../data/errors';
import { rocAuc } from '../eval/classification';
import { quantile, sessionTable } from './anomaly';
import { type InjectedKind, injectSessions } from './anomaly-inject';

export interface Detection {
  /** Injected sessions of this kind. */
  sessions: number;
  rocAuc: number;
  /** Share of the injected sessions caught at the threshold that flags 1 % of the log's own. */
  recallAt1PctFpr: number;
  /** Share flagged at the model's own flag_at. */
  flaggedRecall: number;
}

export type ByKind = Record<'all' | InjectedKind, Detection>;

export interface AnomalyEvaluation {
  normalCount: number;
  /** Share of the log's own sessions flagged at the model's flag_at. */
  falsePositives: number;
  /** Of the 1 % of sessions the model scores highest, the share whose score another of them shares: what no threshold there can separate. */
  tiedAtTop: number;
  /** The same for the plain percentile (no fitted tail), what models before the tail scored. */
  tiedAtTopPlain: number;
  autoencoder: ByKind;
  baseline: ByKind;
}

export const KINDS: ['all' | InjectedKind, InjectedKind | undefined][] = [
  ['all', undefined],
  ['scripted_bot', 'scripted_bot'],
  ['card_testing', 'card_testing'],
];

/** Of the highest 1 % of `scores` (at least one), the share equal to another among them. */
export function tiedShare(scores: readonly number[]): number {
  const top = [...scores].sort((a, b) => b - a).slice(0, Math.max(1, Math.ceil(scores.length * 0.01)));
  const counts = new Map<number, number>();
  for (const s of top) counts.set(s, (counts.get(s) ?? 0) + 1);
  return top.filter((s) => (counts.get(s) ?? 0) > 1).length / top.length;
}

/** Injects `count` attacks into `events` (seeded), scores every session and measures the separation. */
export function evaluateAnomaly(
  model: AnomalyModel,
  events: readonly Interaction[],
  count: number,
  seed: number,
): AnomalyEvaluation {
  const { manifest } = model;
  const injected = injectSessions(events, count, seed);
  const table = sessionTable(injected.events);
  const scores = model.score(table.rows);
  const kinds = table.ids.map((id) => injected.sessions.get(id));
  const dim = manifest.tabular.columns.length;
  const z = encodeRows(manifest.tabular, table.rows);
  const maxZ = table.rows.map((_, r) => {
    let m = 0;
    for (let f = 0; f < dim; f++) m = Math.max(m, Math.abs(z[r * dim + f]));
    return m;
  });
  const isNormal = (i: number) => kinds[i] === undefined;
  const normalCount = kinds.filter((k) => k === undefined).length;
  if (normalCount < 20) throw new DataError(`only ${normalCount} sessions of the log's own to compare with`);
  const detect = (statistic: ArrayLike<number>, kind?: InjectedKind): Detection => {
    const picked = Array.from(statistic, (value, i) => ({ value, i })).filter(
      ({ i }) => isNormal(i) || !kind || kinds[i] === kind,
    );
    const normalValues = Float64Array.from(
      picked.filter(({ i }) => isNormal(i)),
      (p) => p.value,
    ).sort();
    const at1Pct = quantile(normalValues, 0.99);
    const bad = picked.filter(({ i }) => !isNormal(i));
    return {
      sessions: bad.length,
      rocAuc: rocAuc(
        picked.map((p) => p.value),
        picked.map(({ i }) => (isNormal(i) ? 0 : 1)),
      ),
      recallAt1PctFpr: bad.filter((p) => p.value > at1Pct).length / bad.length,
      flaggedRecall: bad.filter(({ i }) => scores[i].flagged).length / bad.length,
    };
  };
  const errors = scores.map((s) => s.error);
  const byKind = (statistic: ArrayLike<number>) =>
    Object.fromEntries(KINDS.map(([name, kind]) => [name, detect(statistic, kind)])) as ByKind;
  return {
    normalCount,
    falsePositives: scores.filter((s, i) => isNormal(i) && s.flagged).length / normalCount,
    tiedAtTop: tiedShare(scores.map((s) => s.score)),
    tiedAtTopPlain: tiedShare(scores.map((s) => percentileOf(s.error, manifest.error_percentiles))),
    autoencoder: byKind(errors),
    baseline: byKind(maxZ),
  };
}
