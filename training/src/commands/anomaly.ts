/**
 * @module training/commands/anomaly — `aisle train anomaly`, `aisle score anomaly` and `aisle eval
 * anomaly`: sessions unlike normal traffic, scored as a percentile of it, with the features to blame.
 */

import type { AnomalyManifest } from '@aisle/shared-models/models/anomaly';
import { encodeAnomaly, load as loadAnomaly } from '@aisle/shared-models/models/anomaly';
import { useBackend } from '../backend';
import { loadInteractions, readRiskLabels } from '../data/source';
import { loadModel, nextVersion, saveModel } from '../model-files';
import { writeJson, writeJsonLines } from '../output';
import { sessionTable, trainAnomaly } from '../pipelines/anomaly';
import { type Detection, evaluateAnomaly, KINDS } from '../pipelines/anomaly-eval';
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
describes each by its pace, the regularity of its timing, its breadth, cart and checkout velocity
and payment failures. Sessions that are plainly no person (two events a second, a machine's
steady pace, repeated payment failures) are left out, as in all training. An autoencoder learns to
reconstruct the earlier 80 % of sessions; the 1 % it reconstructs worst are set aside as suspected
bots and it is trained again without them. The later 20 % calibrate the score: a session's score is
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
    if (labels) {
      console.log(
        `\nlabels from the dashboard: ${m.confirmed_bots_left_out} confirmed bot sessions left out, ${m.false_alarms_kept} false alarms kept as normal`,
      );
    }
    console.log(`\nwrote ${out} (anomaly version ${manifest.version}, ${backend} backend)`);
  },
};

export const scoreAnomalyCommand: Command = {
  summary: 'score every session: how unusual it is, whether it is flagged, and why',
  usage: ['--model DIR (--events FILE | --from STORE) --out FILE'],
  description: `Writes one JSON line per session: {"session_id", "score", "flagged", "reasons"}. The score is the
share of normal sessions (the model's calibration set) this one is more unusual than; reasons are
the three features furthest outside normal traffic (beyond three standard deviations, "z"), with
their share of the reconstruction error.`,
  options: pick('model', 'events', 'from', 'out', 'backend'),
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out', true);
    const events = await sourceOf(values);
    await useBackend(stringOption(values, 'backend'));
    const model = await loadModel(dir, loadAnomaly);
    const { manifest } = model;
    try {
      const table = sessionTable(events);
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
  summary: "an anomaly model's ROC-AUC and recall at 1 % false positives on injected bots and card testers",
  usage: ['--model DIR (--events FILE | --from STORE) [options]'],
  description: `Mixes --inject known-bad sessions into the events (half scripted bots walking the catalogue at a
machine's steady pace, half card testers failing payment after payment), scores every session and
reports, for all injected sessions and for each kind, ROC-AUC against the log's own sessions, the
recall at a 1 % false-positive rate, and the recall and false-positive rate at the model's flag_at.
Evaluate on events the model did not train on (a later period). Prints a table and writes JSON.`,
  options: {
    ...pick('model', 'events', 'from', 'backend'),
    inject: { value: 'N', help: 'sessions to inject', default: '200' },
    seed: { value: 'S', help: 'injection seed', default: '1' },
    out: { value: 'FILE', help: 'where to write the metrics as JSON', default: 'eval-anomaly.json' },
  },
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out') ?? 'eval-anomaly.json';
    const count = intOption(values, 'inject', 200, 2);
    const seed = intOption(values, 'seed', 1, 0);
    const events = await sourceOf(values);
    await useBackend(stringOption(values, 'backend'));
    const model = await loadModel(dir, loadAnomaly);
    const { manifest } = model;
    try {
      const {
        normalCount,
        falsePositives,
        tiedAtTop,
        autoencoder: results,
        baseline,
      } = evaluateAnomaly(model, events, count, seed);
      const row = (model: string, name: string, r: Detection, flagged: boolean) => [
        model,
        name,
        String(r.sessions),
        f4(r.rocAuc),
        f4(r.recallAt1PctFpr),
        flagged ? f4(r.flaggedRecall) : '',
      ];
      console.log(
        formatTable(
          ['detector', 'injected', 'sessions', 'ROC-AUC', 'recall @ 1% FPR', `recall @ flag_at ${manifest.flag_at}`],
          [
            ...KINDS.map(([name]) => row(`autoencoder v${manifest.version}`, name, results[name], true)),
            ...KINDS.map(([name]) => row('max z-score (no model)', name, baseline[name], false)),
          ],
        ),
      );
      console.log(
        `\n${normalCount} sessions of the log's own; ${f4(falsePositives)} of them flagged at flag_at ${manifest.flag_at}; ${f4(tiedAtTop)} of the 1 % scored highest tie with another`,
      );
      writeJson(out, {
        model: { name: manifest.name, version: manifest.version },
        normal_sessions: normalCount,
        false_positive_rate_at_flag: falsePositives,
        tied_at_top: tiedAtTop,
        autoencoder: results,
        baseline_max_z: baseline,
      });
      console.log(`(written to ${out})`);
    } finally {
      model.dispose();
    }
  },
};
