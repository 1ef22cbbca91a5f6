/**
 * @module training/commands/profile — `aisle train profile` and `aisle score profile`: shopper
 * segments from behaviour, written as TF.js weights (the centroids) and a manifest that names them.
 */

import { itemHistories, profileRows } from '@aisle/shared-models/features/profile';
import { modelHealth, VERDICT_WORDS } from '@aisle/shared-models/models/health';
import {
  encodeProfile,
  load as loadProfile,
  type ProfileManifest,
  type TasteResult,
} from '@aisle/shared-models/models/profile';
import { latestTs } from '@aisle/shared-models/schema/interaction';
import { useBackend } from '../backend';
import { DataError } from '../data/errors';
import { loadInteractions } from '../data/source';
import { loadModel, nextVersion, saveModel } from '../model-files';
import { writeJsonLines } from '../output';
import { parseAsOf } from '../pipelines/churn-events';
import { trainProfile } from '../pipelines/profile';
import { embedUsers, trainTaste } from '../pipelines/profile-taste';
import { loadRecommender } from '../recommender-files';
import { publishRun, publishScores, segmentSummary } from '../server';
import { formatTable } from '../table';
import { type Command, intOption, stringOption, UsageError } from './command';
import { PUBLISH, pick } from './options';

export const trainProfileCommand: Command = {
  summary: 'shopper segments: k-means over behaviour, k by silhouette, each segment named',
  usage: ['(--events FILE | --from STORE) --out DIR [options]'],
  description: `Computes each user's behaviour up to --as-of (recency, frequency, money, sessions, funnel, trend,
how much one category holds them, their prices against the shop's median, the time of day and
week they shop, their device where the events say), standardises it, runs k-means for k = 2…8 (or
--k) and keeps the k with the best silhouette, then names each segment from its centroid
(high-value loyal, lapsing, newcomers, window shoppers, bargain hunters, regulars). With
--recommender, adds the taste facet: each user's history embedded by that recommender, clustered
by k-means, each cluster named after the categories its members favour (score profile then needs
the same DIR). Writes DIR/model.json, DIR/weights.bin (the centroids) and DIR/manifest.json.`,
  options: {
    ...pick('events', 'from', 'out', 'as-of', 'recommender'),
    k: { value: 'N', help: 'a fixed number of segments (default: k = 2…8, best silhouette)' },
    seed: { value: 'S', help: 'k-means seed', default: '42' },
  },
  async run(values) {
    const out = stringOption(values, 'out', true);
    const recommenderDir = stringOption(values, 'recommender');
    const k = values.k === undefined ? undefined : intOption(values, 'k', 2, 2);
    const asOfText = stringOption(values, 'as-of');
    const events = await loadInteractions({
      events: stringOption(values, 'events'),
      from: stringOption(values, 'from'),
      purpose: 'train',
    });
    const trained = trainProfile(events, {
      asOf: asOfText ? parseAsOf(asOfText) : undefined,
      k,
      seed: intOption(values, 'seed', 42, 0),
      version: nextVersion(out),
    });
    const { manifest, centroids } = trained;
    await useBackend();
    let taste: Float32Array | undefined;
    if (recommenderDir) {
      const recommender = await loadRecommender(recommenderDir);
      try {
        const asOf = asOfText ? parseAsOf(asOfText) : latestTs(events);
        const trainedTaste = trainTaste(recommender, events, asOf, intOption(values, 'seed', 42, 0));
        manifest.taste = trainedTaste.facet;
        taste = trainedTaste.centroids;
      } finally {
        recommender.dispose();
      }
    }
    await saveModel<ProfileManifest>(out, await encodeProfile({ manifest, centroids, taste }), manifest);
    console.log(`silhouette by k: ${trained.tried.map((t) => `${t.k}: ${t.silhouette.toFixed(3)}`).join(', ')}\n`);
    const shown = ['days_since_last_event', 'events', 'purchases', 'revenue', 'average_order_value', 'views'];
    console.log(
      formatTable(
        ['segment', 'users', ...shown],
        manifest.segments.map((s) => [s.name, String(s.size), ...shown.map((c) => String(s.profile[c]))]),
      ),
    );
    if (manifest.taste) {
      console.log(
        `\ntaste facet (recommender v${manifest.taste.recommender_version}), silhouette ${manifest.taste.silhouette.toFixed(3)}:\n`,
      );
      console.log(
        formatTable(
          ['taste segment', 'users', 'top categories', 'top items'],
          manifest.taste.segments.map((s) => [
            s.name,
            String(s.size),
            s.top_categories.join(', '),
            s.top_items.join(', '),
          ]),
        ),
      );
    }
    const health = modelHealth('profile', manifest.metrics);
    console.log(`\n${VERDICT_WORDS[health.verdict]}: ${health.reason}`);
    console.log(`\nwrote ${out} (profile version ${manifest.version}, ${manifest.k} segments)`);
  },
};

export const scoreProfileCommand: Command = {
  summary: "each user's segment, its name, tags and the features behind them",
  usage: ['--model DIR (--events FILE | --from STORE) --out FILE [options]'],
  description: `Writes one JSON line per user: {"user_id", "segment", "segment_name", "tags", "features"}, and
"taste_segment" and "taste_name" when the model has the taste facet (then --recommender must name
the recommender it was trained with).`,
  options: pick('model', 'events', 'from', 'out', 'as-of', 'recommender', ...PUBLISH),
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out', true);
    const recommenderDir = stringOption(values, 'recommender');
    const asOfText = stringOption(values, 'as-of');
    const events = await loadInteractions({
      events: stringOption(values, 'events'),
      from: stringOption(values, 'from'),
      site: stringOption(values, 'site'),
    });
    await useBackend();
    const profile = await loadModel(dir, loadProfile);
    const { manifest } = profile;
    if (manifest.taste && !recommenderDir) {
      throw new UsageError(
        `${dir} has a taste facet: give --recommender DIR (the recommender version ${manifest.taste.recommender_version} it was trained with)`,
      );
    }
    const asOf = asOfText ? parseAsOf(asOfText) : latestTs(events);
    const users = [...profileRows(events, asOf, manifest.reference_price)];
    if (!users.length) throw new DataError('no user has an event at or before --as-of');
    const results = profile.assign(users.map(([, r]) => r));
    let tastes: TasteResult[] | undefined;
    if (manifest.taste && recommenderDir) {
      const recommender = await loadRecommender(recommenderDir);
      try {
        if (recommender.manifest.version !== manifest.taste.recommender_version) {
          throw new DataError(
            `${recommenderDir} is recommender version ${recommender.manifest.version}; the taste facet was trained with version ${manifest.taste.recommender_version}`,
          );
        }
        const embeddings = embedUsers(
          recommender,
          itemHistories(events, asOf),
          users.map(([u]) => u),
        );
        tastes = profile.assignTaste(embeddings);
      } finally {
        recommender.dispose();
      }
    }
    await writeJsonLines(
      out,
      users.map(([user, row], i) => {
        const features = Object.fromEntries(
          manifest.tabular.columns.map((c) => [c.name, row[c.name] === '' ? null : Number(row[c.name])]),
        );
        return { user_id: user, ...results[i], ...tastes?.[i], features };
      }),
    );
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r.segment_name, (counts.get(r.segment_name) ?? 0) + 1);
    console.log(`${users.length} users: ${[...counts].map(([n, c]) => `${c} ${n}`).join(', ')}; wrote ${out}`);
    if (values.publish) {
      const sent = await publishScores(
        values,
        'profile',
        users.map(([user], i) => ({ user_id: user, segment_name: results[i].segment_name, tags: results[i].tags })),
      );
      await publishRun(
        values,
        'profile',
        segmentSummary(
          users.map(([, row], i) => ({
            segment: results[i].segment_name,
            revenue: Number(row.revenue),
            category: String(row.top_category ?? ''),
          })),
        ),
      );
      console.log(`published ${sent} profiles to ${stringOption(values, 'server')}`);
    }
  },
};
