/**
 * @module training/commands/eval-recommender — `aisle eval recommender`: next-item NDCG@K, hit
 * rate and MRR with full ranking on a leave-last-out split, for the baselines a model must beat.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataError } from '../data/errors';
import { leaveLastOut } from '../data/sequences';
import { loadInteractions } from '../data/source';
import { evaluateBaselines } from '../pipelines/recommender-baselines';
import { formatTable } from '../table';
import { type Command, intOption, stringOption } from './command';

export const evalRecommender: Command = {
  summary: 'next-item NDCG@K of popularity, item-kNN and Markov on a leave-last-out split',
  help: `aisle eval recommender (--events FILE | --from sqlite:PATH | --from postgres:URL) [--k 10] [--out FILE]

Splits every user's item history by time: the last item is the test, the one before it the
validation, the rest the training data. Ranks the whole catalogue (items the user already has
excluded) and reports NDCG@K, hit rate@K and MRR on the test items. Item-kNN's neighbourhood size
and recency decay are chosen on the validation items.

  --events FILE   interchange file (CSV or NDJSON: user_id,item_id,type,ts[,session_id,price,quantity,category])
  --from STORE    the edge store instead of a file
  --k N           cut-off for NDCG and hit rate (default 10)
  --out FILE      where to write the metrics as JSON (default eval-recommender.json)`,
  options: {
    events: { type: 'string' },
    from: { type: 'string' },
    k: { type: 'string' },
    out: { type: 'string' },
  },
  async run(values) {
    const k = intOption(values, 'k', 10);
    const out = stringOption(values, 'out') ?? 'eval-recommender.json';
    const interactions = await loadInteractions({
      events: stringOption(values, 'events'),
      from: stringOption(values, 'from'),
    });
    const split = leaveLastOut(interactions);
    if (!split.test.length) {
      throw new DataError('no user has three or more item interactions: nothing to evaluate on');
    }
    const results = evaluateBaselines(split, k);
    const fmt = (x: number) => x.toFixed(4);
    console.log(
      `${split.test.length} users, ${split.vocabulary.size - 1} items, ${interactions.length} interactions; full ranking, seen items excluded\n`,
    );
    console.log(
      formatTable(
        ['model', `NDCG@${k}`, `HR@${k}`, 'MRR', `valid NDCG@${k}`, 'settings (chosen on validation)'],
        results.map((r) => [
          r.model,
          fmt(r.test.ndcg),
          fmt(r.test.hitRate),
          fmt(r.test.mrr),
          fmt(r.valid.ndcg),
          r.settings,
        ]),
      ),
    );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ k, users: split.test.length, items: split.vocabulary.size - 1, interactions: interactions.length, results }, null, 2)}\n`,
    );
    console.log(`\n(written to ${out})`);
  },
};
