/**
 * @module training/commands/eval-recommender — `aisle eval recommender`: next-item NDCG@K, hit
 * rate and MRR with full ranking on a leave-last-out split, for the baselines a model must beat.
 */
import type { NextItemScorer } from '@aisle/shared-models/models/baselines';
import type { RecommenderModel } from '@aisle/shared-models/models/recommender';
import { useBackend } from '../backend';
import { DataError } from '../data/errors';
import type { LeaveLastOut } from '../data/sequences';
import { leaveLastOut, sessionSplit } from '../data/sequences';
import { loadInteractions } from '../data/source';
import { evaluateRanking, type RankingMetrics } from '../eval/ranking';
import { writeJson } from '../output';
import { fairBaselines } from '../pipelines/recommender-baselines';
import { blendSettings } from '../pipelines/recommender-sasrec';
import { dataUntil } from '../pipelines/recommender-warm';
import { loadRecommender } from '../recommender-files';
import { formatTable } from '../table';
import { type Command, intOption, stringOption, UsageError } from './command';
import { pick } from './options';

export const evalRecommender: Command = {
  summary: 'next-item NDCG@K of popularity, Markov, item-kNN, SKNN and V-SKNN on a leave-last-out or session split',
  usage: ['(--events FILE | --from STORE) [--split users|sessions] [options]'],
  description: `--split users (the default) splits every user's item history by time: the last item is
the test, the one before it the validation, the rest the training data. --split sessions holds out
whole sessions instead (the session ids, else a user's events with no 30-minute pause): the last
tenth of them by start is the test, the tenth before the validation, and every next item of a
held-out session is predicted from that session's earlier items alone (a step repeating the item
just before it is dropped; a target no training session holds is not judged). Ranks the whole
catalogue (items already in the history excluded) and reports NDCG@K, hit rate@K, MRR@20 and MRR
on the test items. Item-kNN's neighbourhood size and recency decay, SKNN's neighbours and sample,
and V-SKNN's too with its position weighting and IDF, are chosen on the validation items. With
--model, a trained recommender too, judged on the same test items (on a file it trained on, its
test items are the ones it held out; with --split sessions it must have learnt from nothing at or
after the first held-out session).`,
  options: {
    ...pick('events', 'from', 'model', 'backend'),
    split: {
      value: 'users|sessions',
      help: 'leave-last-out per user, or the last sessions held out whole',
      default: 'users',
    },
    k: { value: 'N', help: 'cut-off for NDCG and hit rate', default: '10' },
    out: { value: 'FILE', help: 'where to write the metrics as JSON', default: 'eval-recommender.json' },
  },
  async run(values) {
    const k = intOption(values, 'k', 10);
    const out = stringOption(values, 'out') ?? 'eval-recommender.json';
    const interactions = await loadInteractions({
      events: stringOption(values, 'events'),
      from: stringOption(values, 'from'),
      purpose: 'train',
    });
    const splitBy = stringOption(values, 'split') ?? 'users';
    if (splitBy !== 'users' && splitBy !== 'sessions')
      throw new UsageError(`--split ${splitBy}: expected users or sessions`);
    const bySession = splitBy === 'sessions' ? sessionSplit(interactions) : undefined;
    const split = bySession ?? leaveLastOut(interactions);
    if (!split.test.length) {
      throw new DataError(
        bySession
          ? 'no held-out session has two or more items the training sessions know: nothing to evaluate on'
          : 'no user has three or more item interactions: nothing to evaluate on',
      );
    }
    const results: { model: string; settings: string; valid: RankingMetrics; test: RankingMetrics }[] = [];
    const dir = stringOption(values, 'model');
    // A model that lets shoppers' own items come back is judged that way, and the baselines both ways.
    let excludeSeen = true;
    if (dir) {
      await useBackend(stringOption(values, 'backend'));
      const model = await loadRecommender(dir);
      try {
        const until = dataUntil(model.manifest);
        if (bySession && until === undefined)
          throw new DataError(
            'the model does not say until when it learnt (metrics.data_until, written by aisle train recommender): it may have seen the held-out sessions',
          );
        if (bySession && until !== undefined && until >= bySession.info.heldOutFrom)
          throw new DataError(
            `the model learnt from events up to ${new Date(until).toISOString()}, after the held-out sessions begin (${new Date(bySession.info.heldOutFrom).toISOString()}): it has seen what it would be judged on; train it on the events before then`,
          );
        const scorer = inVocabulary(model, split);
        const m = model.manifest;
        excludeSeen = !m.repeat;
        results.push({
          model: `recommender v${m.version}`,
          settings: blendSettings(m),
          valid: evaluateRanking(scorer, split.valid, { k, excludeSeen }),
          test: evaluateRanking(scorer, split.test, { k, excludeSeen }),
        });
      } finally {
        model.dispose();
      }
    }
    results.push(...fairBaselines(split, k, excludeSeen, undefined, { sessionKnn: true }));
    const fmt = (x: number) => x.toFixed(4);
    const judgedOn = bySession
      ? `${split.test.length} next items in ${bySession.info.sessions.test} held-out sessions (${bySession.info.sessions.train} to learn from, ${bySession.info.sessions.valid} to choose settings on; ${bySession.info.unknownTargets} targets no training session holds, not judged)`
      : `${split.test.length} users`;
    console.log(
      `${judgedOn}, ${split.vocabulary.size - 1} items, ${interactions.length} interactions; full ranking, ${excludeSeen ? 'seen items excluded' : 'seen items ranked too'}\n`,
    );
    console.log(
      formatTable(
        ['model', `NDCG@${k}`, `HR@${k}`, 'MRR@20', 'MRR', `valid NDCG@${k}`, 'settings (chosen on validation)'],
        results.map((r) => [
          r.model,
          fmt(r.test.ndcg),
          fmt(r.test.hitRate),
          fmt(r.test.mrr20),
          fmt(r.test.mrr),
          fmt(r.valid.ndcg),
          r.settings,
        ]),
      ),
    );
    writeJson(out, {
      k,
      split: splitBy,
      ...(bySession
        ? {
            sessions: bySession.info.sessions,
            cases: split.test.length,
            unknown_targets: bySession.info.unknownTargets,
          }
        : { users: split.test.length }),
      items: split.vocabulary.size - 1,
      interactions: interactions.length,
      results,
    });
    console.log(`\n(written to ${out})`);
  },
};

/**
 * The model as a scorer over the file's own item indexes: histories translated to the model's
 * vocabulary, scores translated back; an item the model never saw cannot be recommended.
 */
function inVocabulary(model: RecommenderModel, split: LeaveLastOut): NextItemScorer {
  const toModel = split.vocabulary.ids.map((id, j) => (j ? model.vocabulary.indexOf(id) : 0));
  const typeIndex = new Map(model.manifest.types.map((t, i) => [t, i]));
  const toModelType = split.types.ids.map((t, j) => (j ? (typeIndex.get(t) ?? 0) : 0));
  const back = (scores: Float32Array) =>
    Float32Array.from(toModel, (m, j) => (j && m ? scores[m] : Number.NEGATIVE_INFINITY));
  const batch = (histories: readonly (readonly number[])[], types: readonly (readonly number[])[]) =>
    model
      .scoreBatch(
        histories.map((h) => h.map((i) => toModel[i])),
        types.map((t) => t.map((i) => toModelType[i])),
      )
      .map(back);
  return { name: model.name, score: (h, t = []) => batch([h], [t])[0], scoreBatch: batch };
}
