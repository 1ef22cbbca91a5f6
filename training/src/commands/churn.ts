/**
 * @module training/commands/churn — `aisle train churn`, `aisle score churn` and `aisle eval churn`
 * for a customer table: a label column, an id column, any numeric and categorical columns, blanks.
 */

import { BEHAVIOUR_COLUMNS, behaviourRows, RFM_COLUMNS } from '@aisle/shared-models/features/behaviour';
import {
  type ChurnManifest,
  type CustomerValueModel,
  encodeChurn,
  load as loadChurn,
  type ValueMetrics,
} from '@aisle/shared-models/models/churn';
import { modelHealth, VERDICT_WORDS } from '@aisle/shared-models/models/health';
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { useBackend } from '../backend';
import { DataError } from '../data/errors';
import { loadInteractions } from '../data/source';
import { readTable, requireColumn, type Table } from '../data/table';
import { type ClassificationMetrics, classify } from '../eval/classification';
import { loadModel, nextVersion, saveModel } from '../model-files';
import { writeJson, writeJsonLines } from '../output';
import { parseAsOf, parseHorizon, rollingBehaviour } from '../pipelines/churn-events';
import { trainChurnTable } from '../pipelines/churn-table';
import { customerValue, fitCustomerValue, purchaseHistories } from '../pipelines/customer-value';
import { progress } from '../progress';
import { publishRun, publishScores } from '../server';
import { formatTable } from '../table';
import { type Command, intOption, stringOption, UsageError, type Values } from './command';
import { PUBLISH, pick } from './options';

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const METRIC_HEAD = ['ROC-AUC', 'PR-AUC', 'F1', 'precision', 'recall', 'accuracy', 'lift top 10 %', 'threshold'];
const metricCells = (m: ClassificationMetrics) =>
  [m.rocAuc, m.prAuc, m.f1, m.precision, m.recall, m.accuracy, m.liftAt10, m.threshold].map(f4);

export const trainChurn: Command = {
  summary: 'churn model from a customer table or from events: logistic regression and an MLP, the better one exported',
  usage: [
    '--table FILE --label COLUMN --id COLUMN --out DIR [options]',
    '(--events FILE | --from STORE) --as-of DATE --out DIR [--horizon 30d] [--label-by purchase|visit]',
  ],
  description: `From a table, each row is a customer and --label says who churned. From events, each user's
behaviour up to --as-of (recency, frequency, money, sessions, funnel, trend, orders and their
rhythm, returns, top category) is the row, and the label is whether they bought (or, --label-by
visit, came back at all) within --horizon after it; the data must reach past the horizon. Several
cut-offs (--as-of 2011-03-01,2011-06-01,2011-09-09) stack each one's customers as they were then,
so the model sees the seasons: the last cut-off is the one judged on (its rows are the test set),
the earlier ones train and validate, split by customer, and none may have a horizon reaching past
the last. An invoice-line export (InvoiceNo, StockCode, Quantity, InvoiceDate, UnitPrice,
CustomerID) is read as purchases and refunds.

From events with purchases, the model also carries each customer's value: BG/NBD (how many orders
a customer places while active, and the chance they still are) and Gamma-Gamma (what an order of
theirs is worth, less what they send back), fitted on the histories up to the last cut-off and,
where the events reach --value-horizon past it, judged against what each customer then ordered
and spent, beside the last period again and each customer's own average rate.

Trains logistic regression and a small MLP (class-weighted) on 70 % of the rows, and from events
also the MLP averaged with a logistic regression on recency, frequency and money alone (mlp+rfm),
keeps the one with the best ROC-AUC on 15 % (the average unless a single network leads it there by
more than three standard errors of the difference; with several cut-offs, on the latest one's
rows), calibrates it (Platt) and picks the F1-best threshold on that 15 %, and
reports accuracy, precision, recall, F1, ROC-AUC, PR-AUC and the lift in the top decile on the
last 15 % (or the last cut-off's rows). Writes DIR/model.json,
DIR/weights.bin and DIR/manifest.json (version, encoding, calibration, threshold, metrics, SHA-256s).`,
  options: {
    ...pick('table', 'label', 'id', 'out', 'backend', 'events', 'from', 'as-of'),
    positive: { value: 'VALUE', help: 'the label value meaning churn (default: TRUE/true/1/yes/churned)' },
    categorical: { value: 'A,B', help: 'numeric columns that are really categories (region codes, plan ids)' },
    epochs: { value: 'N', help: 'at most N epochs per network (stops early on validation loss)', default: '40' },
    seed: { value: 'S', help: 'split and initialisation seed', default: '42' },
    horizon: {
      value: 'D',
      help: 'how long after --as-of a user must buy (or visit) not to count as churned: 30d, 4w, 12h',
      default: '30d',
    },
    'label-by': { value: 'WHAT', help: 'purchase or visit', default: 'purchase' },
    'value-horizon': {
      value: 'D',
      help: 'from events: the days each customer’s expected orders and spend are forecast over',
      default: '90d',
    },
  },
  async run(values) {
    const fromEvents = values.events !== undefined || values.from !== undefined;
    const valueDays = parseValueDays(stringOption(values, 'value-horizon') ?? '90d');
    const behaviour = fromEvents ? await behaviourTable(values) : undefined;
    const table = behaviour?.table ?? readTable(stringOption(values, 'table', true));
    const out = stringOption(values, 'out', true);
    const label = behaviour ? 'churned' : stringOption(values, 'label', true);
    const id = behaviour ? 'user_id' : stringOption(values, 'id', true);
    const epochs = intOption(values, 'epochs', 40);
    const seed = intOption(values, 'seed', 42, 0);
    const backend = await useBackend(stringOption(values, 'backend'));
    const bar = progress('training');
    const started = performance.now();
    const result = await trainChurnTable(table, {
      label,
      id,
      positive: behaviour ? 'yes' : stringOption(values, 'positive'),
      categorical: stringOption(values, 'categorical')
        ?.split(',')
        .map((c) => c.trim())
        .filter(Boolean),
      epochs,
      seed,
      version: nextVersion(out),
      onEpoch: (done, total) => bar.update(done, total),
      ...behaviour?.split,
      ...(behaviour ? { rfm: RFM_COLUMNS } : {}),
    }).finally(() => bar.stop());
    const seconds = (performance.now() - started) / 1000;
    const value = behaviour ? valueModel(behaviour.events, behaviour.asOf, valueDays) : undefined;
    const manifest = await saveModel<ChurnManifest>(
      out,
      await encodeChurn(result.network),
      behaviour
        ? {
            ...result.manifest,
            source: 'events',
            behaviour: behaviour.settings,
            ...(value?.model ? { value: value.model } : {}),
          }
        : result.manifest,
    );
    result.network.dispose();
    console.log(
      `${table.rows.length} rows (train ${result.rows.train}, validation ${result.rows.valid}, test ${result.rows.test}); ${backend}, ${seconds.toFixed(1)} s\n`,
    );
    console.log(
      formatTable(
        ['model', 'valid ROC-AUC', ...METRIC_HEAD.map((h) => `test ${h}`)],
        result.compared.map((c, i) => [
          `${c.architecture}${i === 0 ? ' (kept)' : ''}`,
          f4(c.validRocAuc),
          ...metricCells(c.test),
        ]),
      ),
    );
    console.log(`kept ${result.choice}`);
    if (value) console.log(value.report);
    const health = modelHealth('churn', manifest.metrics);
    console.log(`\n${VERDICT_WORDS[health.verdict]}: ${health.reason}`);
    console.log(`\nwrote ${out} (churn version ${manifest.version}, ${manifest.architecture})`);
  },
};

async function behaviourTable(values: Values) {
  const asOfText = stringOption(values, 'as-of');
  if (!asOfText) throw new UsageError('churn from events needs --as-of DATE');
  const labelBy = stringOption(values, 'label-by') ?? 'purchase';
  if (labelBy !== 'purchase' && labelBy !== 'visit')
    throw new UsageError(`--label-by ${labelBy}: expected purchase or visit`);
  const cutOffs = asOfText
    .split(',')
    .map((t) => parseAsOf(t.trim()))
    .sort((a, b) => a - b);
  const horizon = parseHorizon(stringOption(values, 'horizon') ?? '30d');
  const events = await loadInteractions({
    events: stringOption(values, 'events'),
    from: stringOption(values, 'from'),
    purpose: 'train',
  });
  return { ...rollingBehaviour(events, cutOffs, horizon, labelBy), events, asOf: cutOffs[cutOffs.length - 1] };
}

/** The customer-value model at the last cut-off, and a table of how it did (or why it was not judged). */
/** What the fit left at the edge of its range, in words. */
const atBounds = (model: CustomerValueModel) =>
  model.fit?.at_bounds.length
    ? `; ${model.fit.at_bounds.join(', ')} at the edge of the range searched${model.bg_nbd.a < 1e-3 ? ' (no sign that customers leave for good: every chance of being active reads about 1)' : ''}`
    : '';

/** Whole days from `--value-horizon` (a day to ten years). */
function parseValueDays(text: string): number {
  const m = /^(\d+)\s*([dw])$/.exec(text.trim());
  const days = m ? Number(m[1]) * (m[2] === 'w' ? 7 : 1) : Number.NaN;
  if (!(days >= 1 && days <= 3660))
    throw new UsageError(`--value-horizon ${text}: expected whole days or weeks, 1d to 3660d (90d, 13w)`);
  return days;
}

function valueModel(events: readonly Interaction[], asOf: number, days: number) {
  if (!events.some((e) => e.type === 'purchase' && e.ts <= asOf)) return undefined;
  let fitted: ReturnType<typeof fitCustomerValue>;
  try {
    fitted = fitCustomerValue(events, asOf, days);
  } catch (error) {
    // The churn model stands without it: say why there is no forecast of value.
    if (error instanceof DataError) return { model: undefined, report: `\nno customer-value model: ${error.message}` };
    throw error;
  }
  const { model, baselines } = fitted;
  const money = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  const row = (name: string, m: ValueMetrics) => [
    name,
    m.orders_mae.toFixed(3),
    f4(m.orders_spearman),
    money(m.spend_mae),
    f4(m.spend_spearman),
    m.predicted_orders.toFixed(0),
    money(m.predicted_spend),
  ];
  const head = `\ncustomer value over the ${days} days after ${model.as_of.slice(0, 10)}, ${model.customers} customers (BG/NBD + Gamma-Gamma)`;
  const { metrics } = model;
  const report =
    metrics && baselines
      ? `${head}${atBounds(model)}\n${formatTable(
          ['forecast', 'orders MAE', 'orders Spearman', 'spend MAE', 'spend Spearman', 'orders', 'spend'],
          [
            row('BG/NBD + Gamma-Gamma', metrics),
            row('last period again', baselines.last_period),
            row('own average rate', baselines.average_rate),
            ['what happened', '', '', '', '', metrics.actual_orders.toFixed(0), money(metrics.actual_spend)],
          ],
        )}`
      : `${head}${atBounds(model)}: fitted, not judged (the events end before ${days} days after the last cut-off)`;
  return { model: { ...model, ...(baselines ? { baselines } : {}) }, report };
}

export const scoreChurn: Command = {
  summary: 'churn probability, flag and top-3 reasons for every customer (table) or user (events)',
  usage: [
    '--model DIR --table FILE --id COLUMN --out FILE',
    '--model DIR (--events FILE | --from STORE) --as-of DATE --out FILE',
  ],
  description: `Writes one JSON line per row: {"id", "probability", "flagged", "reasons": [{"feature", "value",
"effect"}]}. From events (a model trained from events), one line per user with behaviour up to
--as-of, keyed "user_id" instead of "id", and each reason also in words from the user's own
numbers ("text": "no order for 94 days, was every 21 days"). A reason is a column whose value
raises the churn log-odds by "effect" against an average customer. Where the model carries a
customer-value model, each user who has bought also gets "value": {"days", "orders", "spend",
"active"}: the orders and spend expected over the next days and the chance they are still active.`,
  options: pick('model', 'table', 'id', 'out', 'backend', 'events', 'from', 'as-of', ...PUBLISH),
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out', true);
    const fromEvents = values.events !== undefined || values.from !== undefined;
    let table: Table;
    let id: string;
    let events: Interaction[] = [];
    let asOf = 0;
    if (fromEvents) {
      const asOfText = stringOption(values, 'as-of');
      if (!asOfText) throw new UsageError('scoring churn from events needs --as-of DATE');
      events = await loadInteractions({
        events: stringOption(values, 'events'),
        from: stringOption(values, 'from'),
        site: stringOption(values, 'site'),
      });
      asOf = parseAsOf(asOfText);
      const rows = [...behaviourRows(events, asOf)].map(([user, row]) => ({ user_id: user, ...row }));
      if (!rows.length) throw new DataError(`no user has an event at or before --as-of ${asOfText}`);
      table = { columns: ['user_id', ...BEHAVIOUR_COLUMNS], rows };
      id = 'user_id';
    } else {
      table = readTable(stringOption(values, 'table', true));
      id = requireColumn(table, stringOption(values, 'id', true), 'id');
    }
    await useBackend(stringOption(values, 'backend'));
    const model = await loadModel(dir, loadChurn);
    const { manifest } = model;
    try {
      const missing = manifest.tabular.columns.map((c) => c.name).filter((c) => !table.columns.includes(c));
      if (missing.length) throw new DataError(`the table lacks columns the model needs: ${missing.join(', ')}`);
      const churn = model.score(table.rows);
      // The customer-value forecast, for those who have bought, where the model carries one.
      const histories = fromEvents && manifest.value ? purchaseHistories(events, asOf) : undefined;
      const scores = churn.map((score, i) => {
        const history = histories?.get(String(table.rows[i][id] ?? ''));
        if (!history || !manifest.value) return score;
        const v = customerValue(manifest.value, history, manifest.value.horizon_days);
        const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
        return {
          ...score,
          value: {
            days: manifest.value.horizon_days,
            // Within what the server keeps (a forecast past these is no forecast anyway).
            orders: round(Math.min(v.orders, 1e6), 4),
            spend: round(Math.min(v.spend, 1e12), 2),
            // BG/NBD lets no one leave before a second order: for them the chance says nothing.
            active: history.repeats > 0 ? round(v.alive, 4) : null,
          },
        };
      });
      await writeJsonLines(
        out,
        table.rows.map((row, i) => ({ [fromEvents ? 'user_id' : 'id']: row[id] ?? '', ...scores[i] })),
      );
      const flagged = scores.filter((s) => s.flagged).length;
      console.log(`scored ${scores.length} rows, ${flagged} flagged at ${f4(manifest.threshold)}; wrote ${out}`);
      if (values.publish) {
        // The run first: the edge judges the scores by the model it names (a weak one drives no action, no webhook).
        await publishRun(values, 'churn', {
          users: scores.length,
          flagged,
          model_version: manifest.version,
          // Which published version this is, whatever version it was published as: its files' hashes.
          model_shards: manifest.shards.map((x) => x.sha256),
          metrics: (manifest.metrics as { test?: unknown }).test ?? null,
          // The value model without its parameters: what the dashboard tells of it.
          value: manifest.value
            ? {
                kind: manifest.value.kind,
                as_of: manifest.value.as_of,
                horizon_days: manifest.value.horizon_days,
                customers: manifest.value.customers,
                metrics: manifest.value.metrics ?? null,
                baselines: manifest.value.baselines ?? null,
              }
            : null,
        });
        const sent = await publishScores(
          values,
          'churn',
          table.rows.map((row, i) => ({ user_id: String(row[id] ?? ''), ...scores[i] })),
        );
        console.log(`published ${sent} churn scores to ${stringOption(values, 'server')}`);
      }
    } finally {
      model.dispose();
    }
  },
};

export const evalChurn: Command = {
  summary: "a churn model's accuracy, precision, recall, F1, ROC-AUC and PR-AUC on a labelled table",
  usage: ['--model DIR --table FILE [options]'],
  description: `Scores every row and compares with the label column (by default the one the model was trained on),
at the model's own threshold. Prints a table and writes JSON.`,
  options: {
    ...pick('model', 'table', 'backend'),
    label: { value: 'COLUMN', help: 'the label column (default: the training label)' },
    out: { value: 'FILE', help: 'where to write the metrics as JSON', default: 'eval-churn.json' },
  },
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const table = readTable(stringOption(values, 'table', true));
    const out = stringOption(values, 'out') ?? 'eval-churn.json';
    await useBackend(stringOption(values, 'backend'));
    const model = await loadModel(dir, loadChurn);
    const { manifest } = model;
    try {
      const label = requireColumn(table, stringOption(values, 'label') ?? manifest.label, 'label');
      const labels = table.rows.map((r) => ((r[label] ?? '').trim() === manifest.positive ? 1 : 0));
      const probabilities = model.score(table.rows, 0).map((s) => s.probability);
      const metrics = classify(probabilities, labels, manifest.threshold);
      console.log(
        formatTable(
          ['model', 'rows', 'positives', ...METRIC_HEAD],
          [
            [
              `churn v${manifest.version} (${manifest.architecture})`,
              String(metrics.rows),
              String(metrics.positives),
              ...metricCells(metrics),
            ],
          ],
        ),
      );
      writeJson(out, {
        model: { name: manifest.name, version: manifest.version, architecture: manifest.architecture },
        metrics,
      });
      console.log(`\n(written to ${out})`);
    } finally {
      model.dispose();
    }
  },
};
