/**
 * @module training/commands/anomaly — `aisle train anomaly`, `aisle score anomaly` and `aisle eval
 * anomaly`: sessions unlike normal traffic, scored as a percentile of it, with the features to blame.
 */

import type { AnomalyManifest } from '@aisle/shared-models/models/anomaly';
import { createAnomalyModel, encodeAnomaly, load as loadAnomaly } from '@aisle/shared-models/models/anomaly';
import { modelHealth, VERDICT_WORDS } from '@aisle/shared-models/models/health';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { useBackend } from '../backend';
import { DataError } from '../data/errors';
import { loadInteractions, readRiskLabels } from '../data/source';
import { loadModel, nextVersion, saveModel } from '../model-files';
import { writeJson, writeJsonLines } from '../output';
import { sessionTable, trainAnomaly } from '../pipelines/anomaly';
import { ATTACK_KINDS, type AttackKind } from '../pipelines/anomaly-attacks';
import { DETECTOR_LABELS, DETECTORS, evaluateAnomaly } from '../pipelines/anomaly-eval';
import { progress } from '../progress';
import { formatTable } from '../table';
import { type Command, intOption, stringOption, UsageError } from './command';
import { pick } from './options';

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');

const sourceOf = (values: Record<string, string | boolean | undefined>, purpose: 'train' | 'score' = 'score') =>
  loadInteractions({ events: stringOption(values, 'events'), from: stringOption(values, 'from'), purpose });

export const trainAnomalyCommand: Command = {
  summary: 'session anomaly model: an autoencoder over session behaviour, calibrated on normal traffic',
  usage: ['(--events FILE | --from STORE) --out DIR [options]'],
  description: `Cuts the events into sessions (by session_id, else a new session after 30 idle minutes) and
describes each by its pace, the regularity of its pauses (between moments: what a page sends as
it loads is one), its breadth, cart and checkout velocity, payment failures and how many actions
of each kind it took (page views, searches, clicks, cart removals, logins, sign-ups). Sessions
that are plainly no person (two events a second, a machine's steady pace, repeated payment
failures) are left out, as in all training. An autoencoder learns to reconstruct the earlier 80 %
of sessions, each input clamped to the range normal traffic covers (anything beyond it is error by
construction); the 1 % it reconstructs worst are set aside as suspected bots and it is trained
again without them. The later 20 % calibrate the score: a session's score is
the share of those it is more unusual than. Writes DIR/model.json, DIR/weights.bin and
DIR/manifest.json. With --from, risk flags labelled on the dashboard count: sessions confirmed as
bots are left out of what the model learns as normal, and false alarms are kept in it (even when
they look bot-like).`,
  options: {
    ...pick('events', 'from', 'out', 'backend', 'site'),
    epochs: { value: 'N', help: 'at most N epochs per fit (stops early on validation loss)', default: '60' },
    seed: { value: 'S', help: 'initialisation seed', default: '42' },
    'flag-at': { value: 'P', help: 'score from which a session is flagged', default: '0.99' },
  },
  async run(values) {
    const out = stringOption(values, 'out', true);
    const epochs = intOption(values, 'epochs', 60);
    const seed = intOption(values, 'seed', 42, 0);
    const flagText = stringOption(values, 'flag-at');
    const flagAt = flagText === undefined ? 0.99 : Number(flagText);
    if (!(flagAt > 0 && flagAt < 1)) throw new UsageError(`--flag-at ${flagText}: expected a share between 0 and 1`);
    // From the edge store, the flags labelled on the dashboard teach this run what is and is not a bot.
    const from = stringOption(values, 'from');
    const labels = from ? await readRiskLabels(from, stringOption(values, 'site')) : undefined;
    const events = await loadInteractions({
      events: stringOption(values, 'events'),
      from,
      site: stringOption(values, 'site'),
      purpose: 'train',
      humans: labels?.humans,
    });
    const backend = await useBackend(stringOption(values, 'backend'));
    const bar = progress('training');
    const started = performance.now();
    const { network, manifest } = await trainAnomaly(events, {
      epochs,
      seed,
      flagAt,
      labels,
      version: nextVersion(out),
      onEpoch: (done, total) => bar.update(done, total),
    }).finally(() => bar.stop());
    try {
      const heldOut = heldOutCheck(network, manifest as AnomalyManifest, events, seed);
      if (heldOut) manifest.metrics.held_out = heldOut;
      await saveModel<AnomalyManifest>(out, await encodeAnomaly(network), manifest);
    } finally {
      network.dispose();
    }
    const m = manifest.metrics;
    console.log(
      formatTable(
        ['sessions', 'trained on', 'set aside as bots', 'calibration', 'median error', 'p99 error', 'seconds'],
        [
          [
            String(m.sessions),
            String(m.training_sessions),
            String(m.excluded_as_suspected_bots),
            String(m.calibration_sessions),
            f4(m.median_error as number),
            f4(m.p99_error as number),
            ((performance.now() - started) / 1000).toFixed(1),
          ],
        ],
      ),
    );
    const rare = manifest.rare_items;
    if (rare) {
      console.log(
        `\nproducts hardly anybody opened: ${rare.items}, ${(rare.share * 100).toFixed(1)} % of the training sessions' product views; a session that opens more of them than chance gives a shopper counts as unusual (a crawler walking the catalogue)`,
      );
    }
    const never = (m.never_varied ?? []) as string[];
    if (never.length) {
      console.log(
        `\nno session of these events, calibration included, ever varied on ${never.join(', ')}: a session that does differ there is flagged, whatever else it does. Train on events that include those actions (the shop's own, --from STORE) if its shoppers take them.`,
      );
    }
    if (labels) {
      console.log(
        `\nlabels from the dashboard: ${m.confirmed_bots_left_out} confirmed bot sessions left out, ${m.false_alarms_kept} false alarms kept as normal`,
      );
    }
    const health = modelHealth('anomaly', m);
    console.log(`\n${VERDICT_WORDS[health.verdict]}: ${health.reason}`);
    console.log(`\nwrote ${out} (anomaly version ${manifest.version}, ${backend} backend)`);
  },
};

/** Attacks of each kind injected into the held-out period to judge a freshly trained model. */
const HELD_OUT_PER_KIND = 20;

/**
 * The model's verdict evidence: the calibration period's sessions (after `trained_until`, never
 * trained on) with attacks of every kind injected, seeded — the model's ROC-AUC against the no-model
 * baseline's (each session's most extreme standardised feature) on the same sessions. Undefined
 * when the period has too few sessions to judge by.
 */
function heldOutCheck(
  network: Parameters<typeof createAnomalyModel>[0],
  manifest: AnomalyManifest,
  events: readonly Interaction[],
  seed: number,
) {
  const from = Date.parse(String(manifest.metrics.trained_until));
  const later = events.filter((e) => e.ts > from);
  if (!later.length) return undefined;
  try {
    const model = createAnomalyModel(network, manifest);
    const e = evaluateAnomaly(model, later, HELD_OUT_PER_KIND * ATTACK_KINDS.length, seed);
    const round = (x: number) => Math.round(x * 10_000) / 10_000;
    return {
      sessions: e.normalCount,
      injected: e.detectors.autoencoder.all.sessions,
      roc_auc: round(e.detectors.autoencoder.all.rocAuc),
      recall_at_1pct_fpr: round(e.detectors.autoencoder.all.recallAt1PctFpr),
      baseline: 'max_z',
      baseline_roc_auc: round(e.detectors.max_z.all.rocAuc),
    };
  } catch (error) {
    if (error instanceof DataError) return undefined;
    throw error;
  }
}

export const scoreAnomalyCommand: Command = {
  summary: 'score every session: how unusual it is, whether it is flagged, and why',
  usage: ['--model DIR (--events FILE | --from STORE) --out FILE'],
  description: `Writes one JSON line per session: {"session_id", "score", "flagged", "reasons"}. The score is the
share of normal sessions (the model's calibration set) this one is more unusual than; reasons are
the three features furthest outside normal traffic (beyond three standard deviations, "z"), with
their share of the reconstruction error (each input's error counted against how closely the
network reconstructs it on normal traffic).`,
  options: pick('model', 'events', 'from', 'out', 'backend'),
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out', true);
    const events = await sourceOf(values);
    await useBackend(stringOption(values, 'backend'));
    const model = await loadModel(dir, loadAnomaly);
    const { manifest } = model;
    try {
      const table = sessionTable(events, manifest);
      const scores = model.score(table.rows);
      await writeJsonLines(
        out,
        table.ids.map((id, i) => {
          const { score, flagged, reasons } = scores[i];
          return { session_id: id, score: Math.round(score * 10_000) / 10_000, flagged, reasons };
        }),
      );
      const flagged = scores.filter((s) => s.flagged).length;
      console.log(`scored ${scores.length} sessions, ${flagged} flagged at ${manifest.flag_at}; wrote ${out}`);
    } finally {
      model.dispose();
    }
  },
};

export const evalAnomalyCommand: Command = {
  summary:
    "an anomaly model's ROC-AUC and recall at 1 % false positives on eight kinds of attack, beside four baselines",
  usage: ['--model DIR (--events FILE | --from STORE) [options]'],
  description: `Mixes --inject known-bad sessions into the events, the kinds in turn, each written from OWASP's
automated threats with parameters drawn per session: scraping, slow (human-paced) scraping,
scalping, carding, credential stuffing, cart hoarding, account creation and click fraud. Scores
every session and prints, for all injected sessions and for each kind, the ROC-AUC against the
log's own sessions and the recall at a 1 % false-positive rate, for the model and for the
baselines on the same sessions: events per minute and event count (one-line rules), a session's
most extreme standardised feature, and an isolation forest over the model's own features; then
the share of each kind flagged at the model's flag_at. Evaluate on events the model did not train
on (a later period). Prints the tables and writes JSON.`,
  options: {
    ...pick('model', 'events', 'from', 'backend'),
    inject: { value: 'N', help: 'sessions to inject', default: '400' },
    kinds: { value: 'LIST', help: `attack kinds, comma-separated (${ATTACK_KINDS.join(', ')})`, default: 'all' },
    seed: { value: 'S', help: 'injection seed', default: '1' },
    out: { value: 'FILE', help: 'where to write the metrics as JSON', default: 'eval-anomaly.json' },
  },
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out') ?? 'eval-anomaly.json';
    const seed = intOption(values, 'seed', 1, 0);
    const kinds = kindsOption(stringOption(values, 'kinds'));
    // At least one session of each kind asked for.
    const count = intOption(values, 'inject', 400, kinds.length);
    const events = await sourceOf(values);
    await useBackend(stringOption(values, 'backend'));
    const model = await loadModel(dir, loadAnomaly);
    const { manifest } = model;
    try {
      const result = evaluateAnomaly(model, events, count, seed, kinds);
      const names = ['all', ...kinds] as const;
      const table = (metric: 'rocAuc' | 'recallAt1PctFpr', extra?: (kind: (typeof names)[number]) => string) =>
        formatTable(
          [
            'injected',
            'sessions',
            ...DETECTORS.map((d) => (d === 'autoencoder' ? `autoencoder v${manifest.version}` : DETECTOR_LABELS[d])),
            ...(extra ? [`flagged at ${manifest.flag_at}`] : []),
          ],
          names.map((kind) => [
            kind,
            String(result.detectors.autoencoder[kind].sessions),
            ...DETECTORS.map((d) => f4(result.detectors[d][kind][metric])),
            ...(extra ? [extra(kind)] : []),
          ]),
        );
      console.log(`ROC-AUC against the log's own sessions\n${table('rocAuc')}`);
      console.log(
        `\nrecall at 1 % false positives${'\n'}${table('recallAt1PctFpr', (kind) => f4(result.flaggedRecall[kind]))}`,
      );
      console.log(
        `\n${result.normalCount} sessions of the log's own; ${f4(result.falsePositives)} of them flagged at flag_at ${manifest.flag_at}; ${f4(result.tiedAtTop)} of the 1 % scored highest tie with another`,
      );
      writeJson(out, {
        model: { name: manifest.name, version: manifest.version },
        normal_sessions: result.normalCount,
        false_positive_rate_at_flag: result.falsePositives,
        flagged_recall: result.flaggedRecall,
        tied_at_top: result.tiedAtTop,
        detectors: result.detectors,
      });
      console.log(`(written to ${out})`);
    } finally {
      model.dispose();
    }
  },
};

function kindsOption(text: string | undefined): AttackKind[] {
  if (text === undefined || text === 'all') return [...ATTACK_KINDS];
  const kinds = text.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(ATTACK_KINDS as readonly string[]).includes(k));
  if (unknown.length || !kinds.length)
    throw new UsageError(
      `--kinds ${text}: unknown kind ${unknown[0] ?? ''}; expected some of ${ATTACK_KINDS.join(', ')}`,
    );
  return kinds as AttackKind[];
}
