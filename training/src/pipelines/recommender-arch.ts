/**
 * @module training/pipelines/recommender-arch — `--arch auto`: the recommender trained once with
 * each network that reads the history (SASRec, SR-GNN's session graph, LightGCN's shoppers–items
 * graph), each with its own blend, content weight and repeats chosen on validation, and the one whose
 * shipped model scores the best validation NDCG@10 kept (each replacing the one kept before it only
 * by more than the margin). The test items judge it once, after the choice; the others' numbers go
 * in the manifest beside it, so the operator reads why.
 */
import { ARCHS, type Arch, archOf } from '@aisle/shared-models/models/recommender';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../data/errors';
import type { LeaveLastOut } from '../data/sequences';
import { type RecommenderTrainOptions, type RecommenderTrainResult, trainRecommender } from './recommender-sasrec';

export type ArchChoice = Arch | 'auto';

/**
 * How much better on validation (relative) a network must score than the one tried before it —
 * SASRec first, the network of every model before there was a choice — to be chosen instead: about
 * the spread of validation NDCG@10 over seeds on the real logs (1–2 %). Measured on the benchmarks:
 * SR-GNN led by 3–7 % on MovieLens sessions (and won on test every seed), by 0.3 % on MovieLens
 * leave-last-out (and lost on test).
 */
export const AUTO_MARGIN = 0.01;

/** Whether a network's validation NDCG@10 beats the one's tried before it by more than the margin. */
export const outdoes = (challenger: number, incumbent: number) => challenger > incumbent * (1 + AUTO_MARGIN);

export interface ArchCandidate {
  arch: Arch;
  valid_ndcg: number;
  test_ndcg: number;
  epochs_run: number;
  seconds: number;
}

/**
 * Trains with `arch` (its config's `arch`), or with each network in turn for `auto` — each given
 * an equal share of the time budget — and keeps the best on validation. A warm start keeps the
 * earlier model's network: its rows are what the device holds.
 */
export async function trainRecommenderArch(
  split: LeaveLastOut,
  arch: ArchChoice,
  options: RecommenderTrainOptions = {},
): Promise<RecommenderTrainResult & { candidates: ArchCandidate[] }> {
  const earlier = options.warmStart ? archOf(options.warmStart.manifest.config) : undefined;
  if (earlier && arch !== 'auto' && arch !== earlier)
    throw new DataError(
      `the model to start from reads histories with ${earlier}, not ${arch}: leave out --arch, or train without --warm-start`,
    );
  const fixed = earlier ?? arch;
  const archs: readonly Arch[] = fixed === 'auto' ? ARCHS : [fixed];
  const share = (options.timeBudget ?? 480) / archs.length;
  const candidates: ArchCandidate[] = [];
  let best: RecommenderTrainResult | undefined;
  for (const [k, a] of archs.entries()) {
    const started = performance.now();
    const trained = await trainRecommender(split, {
      ...options,
      timeBudget: share,
      ...(archs.length > 1 ? { budgetOf: options.timeBudget ?? 480 } : {}),
      config: { ...options.config, arch: a },
      onEpoch: (done, total, line) =>
        options.onEpoch?.(k * total + done, archs.length * total, archs.length > 1 ? `${a}: ${line}` : line),
    });
    const shipped = trained.results.find((r) => r.model === 'recommender');
    candidates.push({
      arch: a,
      valid_ndcg: shipped?.valid.ndcg ?? 0,
      test_ndcg: shipped?.test.ndcg ?? 0,
      epochs_run: trained.epochSeconds.length,
      seconds: (performance.now() - started) / 1000,
    });
    const bestValid = best?.results.find((r) => r.model === 'recommender')?.valid.ndcg ?? Number.NEGATIVE_INFINITY;
    // The other network goes whole: its shipped model and the float weights it was made from.
    const drop = (t: RecommenderTrainResult) => {
      t.model.dispose();
      tf.dispose(Object.values(t.weights));
    };
    if (!best || outdoes(shipped?.valid.ndcg ?? 0, bestValid)) {
      if (best) drop(best);
      best = trained;
    } else drop(trained);
  }
  const chosen = best as RecommenderTrainResult;
  const chosenArch = archOf(chosen.manifest.config);
  const others = candidates.filter((c) => c.arch !== chosenArch);
  const validOf = (a: string) => candidates.find((c) => c.arch === a)?.valid_ndcg ?? 0;
  const reason =
    archs.length === 1
      ? options.warmStart && arch !== fixed
        ? `${chosenArch}: the network of the model warm-started from`
        : `${chosenArch}: asked for`
      : `${chosenArch}: validation NDCG@10 ${validOf(chosenArch).toFixed(4)} against ${others
          .map((c) => `${c.arch} ${c.valid_ndcg.toFixed(4)}`)
          .join(', ')}${
          others.some((c) => c.valid_ndcg > validOf(chosenArch))
            ? ` (within ${100 * AUTO_MARGIN} %: no switch for a gain smaller than the noise)`
            : ''
        }`;
  chosen.manifest.metrics = { ...chosen.manifest.metrics, arch: { chosen: chosenArch, reason, candidates } };
  return { ...chosen, candidates };
}
