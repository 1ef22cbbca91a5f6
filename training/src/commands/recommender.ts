/**
 * @module training/commands/recommender — `aisle train recommender` and `aisle recommend`: the
 * sequential recommender trained on an interchange file (or the edge store), and the next K items
 * for every user of a file, as a device would compute them from that user's history.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError } from '@aisle/shared-models/models/files';
import { modelHealth, VERDICT_WORDS } from '@aisle/shared-models/models/health';
import { ManifestError } from '@aisle/shared-models/models/manifest';
import { BASE_FILE, PATCH_FILE } from '@aisle/shared-models/models/patch';
import { ARCHS, CANDIDATES_FILE, type RecommenderModel } from '@aisle/shared-models/models/recommender';
import { useBackend } from '../backend';
import { DataError } from '../data/errors';
import { leaveLastOut } from '../data/sequences';
import { loadInteractions } from '../data/source';
import { nextVersion, readModelDir } from '../model-files';
import { writeJsonLines } from '../output';
import { type ArchCandidate, type ArchChoice, trainRecommenderArch } from '../pipelines/recommender-arch';
import { cutRecommender, DEFAULT_HEAD, judgeHead } from '../pipelines/recommender-head';
import { dataUntil, movedSince, readWarmStart, type WarmStart } from '../pipelines/recommender-warm';
import { progress } from '../progress';
import { loadRecommender, saveRecommender, WHOLE_DIR } from '../recommender-files';
import { formatTable } from '../table';
import { type Command, intOption, stringOption, UsageError } from './command';
import { pick } from './options';

export const trainRecommenderCommand: Command = {
  summary: 'the recommender (SASRec, SR-GNN or LightGCN, blended with item-kNN) from events',
  usage: ['(--events FILE | --from STORE) --out DIR [options]'],
  description: `Splits every user's history by time (last item test, the one before validation), trains the
network --arch names on the rest (auto: SASRec, SR-GNN's session graph and LightGCN's
shoppers–items graph in turn, a third of the time budget each, each replacing the one kept so far
only where its shipped model's validation NDCG@10 beats it by more than 1 %, and saying why), keeps the epoch with the best validation NDCG@10, chooses on validation its blend with
item-kNN, the weight of a content signal (category and price band, for items with few events) and
whether items already in the history may come back, and prints test NDCG@10 and hit rate next to
popularity, item-kNN and Markov. Training stops early when the next epoch would overrun the time
budget, and part-way through an epoch that runs past it. The weights are then written in fewer bits where validation allows: integer tables in the
fewest that hold them exactly, each float group (the item embedding, the neighbour similarities,
the rest of the network, coldness, popularity) as uint8, else uint16, where it costs under
--quantize-loss of validation NDCG@10 (TF.js's own quantised weight format: the device decodes it
as it is). Writes DIR/model.json, DIR/weights.bin and DIR/manifest.json.`,
  options: {
    ...pick('events', 'from', 'out', 'backend'),
    arch: {
      value: 'A',
      help: `the network that reads the history: ${[...ARCHS, 'auto'].join(', ')} (auto: each trained, the better on validation kept)`,
      default: 'auto',
    },
    epochs: { value: 'N', help: 'training epochs', default: '20' },
    'time-budget': { value: 'S', help: 'stop training after S seconds (auto: shared by the networks)', default: '480' },
    seed: { value: 'S', help: 'shuffling and initialisation seed', default: '42' },
    dim: { value: 'N', help: 'embedding size', default: '64' },
    head: {
      value: 'N',
      help: "catalogues past N items ship a head of N (the most viewed) to devices, the rest as the edge's candidates; 0: never",
      default: String(DEFAULT_HEAD),
    },
    'warm-start': {
      help: 'start from the model already in --out and move only the rows of items with events since its data ended (default --epochs 3); devices that hold it download those rows as a patch',
    },
    'quantize-loss': {
      value: 'PCT',
      help: 'the validation NDCG@10 (relative, in %) quantising the weights may cost; 0 keeps them float32',
      default: '1',
    },
  },
  async run(values) {
    const out = stringOption(values, 'out', true);
    const backend = await useBackend(stringOption(values, 'backend'));
    const warmFrom = values['warm-start'] ? await warmStartIn(out) : undefined;
    const epochs = intOption(values, 'epochs', warmFrom ? 3 : 20);
    const seed = intOption(values, 'seed', 42, 0);
    const dim = intOption(values, 'dim', warmFrom?.manifest.config.dim ?? 64);
    const timeBudget = intOption(values, 'time-budget', 480);
    const headItems = intOption(values, 'head', DEFAULT_HEAD, 0);
    const arch = (stringOption(values, 'arch') ?? 'auto') as ArchChoice;
    if (![...ARCHS, 'auto'].includes(arch))
      throw new UsageError(`--arch must be one of ${[...ARCHS, 'auto'].join(', ')}, got "${arch}"`);
    const given = values['quantize-loss'];
    const lossText = typeof given === 'string' ? given : given === undefined ? '1' : '';
    const maxLoss = Number(lossText);
    if (!lossText.trim() || !Number.isFinite(maxLoss) || maxLoss < 0 || maxLoss >= 100)
      throw new UsageError(`--quantize-loss must be a percentage from 0 up to (not) 100, got "${lossText}"`);
    const interactions = await loadInteractions({
      events: stringOption(values, 'events'),
      from: stringOption(values, 'from'),
      purpose: 'train',
    });
    // Never past now: a device whose clock runs ahead must not hide the next day's events.
    const latest = Math.min(
      Date.now(),
      interactions.reduce((t, r) => Math.max(t, r.ts), Number.NEGATIVE_INFINITY),
    );
    if (warmFrom) warmFrom.moved = movedSince(interactions, dataUntil(warmFrom.manifest));
    const split = leaveLastOut(interactions, warmFrom?.manifest);
    if (!split.test.length)
      throw new DataError('no user has three or more item interactions: nothing to learn a sequence from');
    const bar = progress('training');
    const lines: string[] = [];
    const started = performance.now();
    const trained = await trainRecommenderArch(split, arch, {
      epochs,
      seed,
      config: { dim },
      timeBudget,
      quantize: maxLoss > 0 ? { maxLoss: maxLoss / 100 } : false,
      version: nextVersion(out),
      warmStart: warmFrom,
      dataUntil: Number.isFinite(latest) ? latest : undefined,
      onEpoch: (done, total, line) => {
        bar.update(done, total);
        lines.push(line);
      },
    }).finally(() => bar.stop());
    const seconds = (performance.now() - started) / 1000;
    // A catalogue past the head's size: devices get the head, the edge the rest as candidates.
    const cut =
      headItems > 0 && split.vocabulary.size - 1 > headItems
        ? await cutRecommender(trained, split.train, headItems + 1)
        : undefined;
    if (cut) {
      const quality = await judgeHead(trained.model, cut.trained.model, cut.table, split.test);
      // What ships is the head with the edge's candidates: its numbers are the model's.
      cut.trained.manifest.metrics = {
        ...trained.manifest.metrics,
        ndcg_at_10: quality.candidates.ndcg,
        hit_rate_at_10: quality.candidates.hitRate,
        head: {
          items: headItems,
          of: split.vocabulary.size - 1,
          coverage: cut.coverage,
          ndcg_full: quality.full.ndcg,
          ndcg_head: quality.head.ndcg,
          ndcg_head_candidates: quality.candidates.ndcg,
        },
      };
    }
    // The whole model stays beside the head, for the operator's own tools (`aisle recommend`, profiles);
    // without a head, one left from an earlier version would be read instead of this one: it goes.
    if (cut) await saveRecommender(join(out, WHOLE_DIR), trained, undefined, { patch: false });
    else rmSync(join(out, WHOLE_DIR), { recursive: true, force: true });
    const manifest = cut
      ? await saveRecommender(out, cut.trained, new Map([[CANDIDATES_FILE, cut.candidates]]))
      : await saveRecommender(out, trained);
    trained.model.dispose();
    cut?.trained.model.dispose();
    for (const line of lines) console.log(line);
    const f4 = (x: number) => x.toFixed(4);
    console.log(
      `\n${split.test.length} users, ${split.vocabulary.size - 1} items, ${interactions.length} interactions; ${backend}, ${seconds.toFixed(0)} s (${(
        trained.epochSeconds.reduce((s, v) => s + v, 0) / trained.epochSeconds.length
      ).toFixed(1)} s per epoch)\n`,
    );
    console.log(
      formatTable(
        ['model', 'NDCG@10', 'HR@10', 'MRR', 'valid NDCG@10', 'settings'],
        trained.results.map((r) => [
          r.model,
          f4(r.test.ndcg),
          f4(r.test.hitRate),
          f4(r.test.mrr),
          f4(r.valid.ndcg),
          r.settings,
        ]),
      ),
    );
    const q = manifest.metrics.quantization as
      | {
          tensors: Record<string, string>;
          bytes: number;
          bytes_float32: number;
          valid_ndcg_float32: number;
          valid_ndcg: number;
        }
      | undefined;
    if (q) {
      const groups = new Map<string, number>();
      for (const dtype of Object.values(q.tensors)) groups.set(dtype, (groups.get(dtype) ?? 0) + 1);
      console.log(
        `\nweights: ${(q.bytes_float32 / 1e6).toFixed(2)} MB as float32, ${(q.bytes / 1e6).toFixed(2)} MB written (${[
          ...groups,
        ]
          .map(([dtype, n]) => `${n} tensors ${dtype}`)
          .join(', ')}); validation NDCG@10 ${f4(q.valid_ndcg_float32)} → ${f4(q.valid_ndcg)}`,
      );
      const width = manifest.metrics.neighbour_width as { chosen: number; tried: { width: number }[] } | undefined;
      if (width?.tried.length)
        console.log(
          `neighbour table: ${width.chosen} wide (narrower ones tried on validation: ${width.tried.map((t) => t.width).join(', ')})`,
        );
    }
    const head = manifest.metrics.head as
      | {
          items: number;
          of: number;
          coverage: number;
          ndcg_full: number;
          ndcg_head: number;
          ndcg_head_candidates: number;
        }
      | undefined;
    if (head)
      console.log(
        `\nhead: devices hold the ${head.items} most viewed of ${head.of} items (${(100 * head.coverage).toFixed(1)} % of the interactions), the edge answers the rest for the product on screen; test NDCG@10 as a device ranks: whole model ${f4(head.ndcg_full)}, head alone ${f4(head.ndcg_head)}, head with the edge's candidates ${f4(head.ndcg_head_candidates)}`,
      );
    const patch = manifest.shards.find((s) => s.path === PATCH_FILE);
    const base = manifest.shards.find((s) => s.path === BASE_FILE);
    if (patch && base)
      console.log(
        `\nupdate: a device holding the version before downloads the patch, ${kb(patch.size)} (the whole weights: ${kb(base.size)} and the patch); ${warmFrom?.moved ? `${warmFrom.moved.size} items had events since it` : 'every row could move'}`,
      );
    const chosen = manifest.metrics.arch as { reason: string; candidates: ArchCandidate[] } | undefined;
    if (chosen) console.log(`\nnetwork: ${chosen.reason}`);
    const health = modelHealth('recommender', manifest.metrics);
    console.log(`\n${VERDICT_WORDS[health.verdict]}: ${health.reason}`);
    console.log(`\nwrote ${out} (recommender version ${manifest.version})`);
  },
};

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The model in `dir` to start from: the whole one beside a head (of the same version), else the one itself. */
async function warmStartIn(dir: string): Promise<WarmStart> {
  const version = (d: string) => {
    try {
      return (JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as { version?: unknown }).version;
    } catch {
      return undefined;
    }
  };
  const whole = join(dir, WHOLE_DIR);
  const from = version(whole) !== undefined && version(whole) === version(dir) ? whole : dir;
  const { manifest, files } = readModelDir(from);
  try {
    return await readWarmStart(manifest, files);
  } catch (error) {
    if (error instanceof ManifestError || error instanceof ModelFormatError)
      throw new DataError(`${from}: cannot start from it (${error.message})`);
    throw error;
  }
}

/** Top `k` item ids for each history, scored in batches; none already in it unless the model allows repeats. */
export function recommendAll(
  model: RecommenderModel,
  histories: { items: string[]; types: string[] }[],
  k: number,
): string[][] {
  const types = model.manifest.types;
  const typeIndex = new Map(types.map((t, i) => [t, i]));
  const out: string[][] = [];
  for (let start = 0; start < histories.length; start += 256) {
    const chunk = histories.slice(start, start + 256);
    const items = chunk.map((h) => h.items.map((id) => model.vocabulary.indexOf(id)));
    const scores = model.scoreBatch(
      items,
      chunk.map((h) => h.types.map((t) => typeIndex.get(t) ?? 0)),
    );
    chunk.forEach((_, i) => {
      const seen = new Set(model.manifest.repeat ? [] : items[i]);
      const candidates: number[] = [];
      for (let j = 1; j < scores[i].length; j++) if (!seen.has(j)) candidates.push(j);
      candidates.sort((a, b) => scores[i][b] - scores[i][a]);
      out.push(candidates.slice(0, k).map((j) => model.vocabulary.ids[j]));
    });
  }
  return out;
}

export const recommendCommand: Command = {
  summary: 'the next K items for every user of an events file, from that user history',
  usage: ['--model DIR (--events FILE | --from STORE) --out FILE [--k 10]'],
  description: `For every user_id, ranks the model's catalogue after that user's whole history in the file (users
and items the model never saw included: unknown items are skipped, a user with none gets the most
popular items) and writes one JSON line per user: {"user_id": "...", "items": [K distinct item
ids]}, none of them already in the history, unless the model learned on validation that this
shop's shoppers come back to items they looked at, in which case those compete too.`,
  options: {
    ...pick('model', 'events', 'from', 'out', 'backend'),
    k: { value: 'N', help: 'items per user', default: '10' },
  },
  async run(values) {
    const dir = stringOption(values, 'model', true);
    const out = stringOption(values, 'out', true);
    const k = intOption(values, 'k', 10);
    const interactions = await loadInteractions({
      events: stringOption(values, 'events'),
      from: stringOption(values, 'from'),
    });
    await useBackend(stringOption(values, 'backend'));
    const model = await loadRecommender(dir);
    try {
      // Histories by id, not index: the file's items need not be the model's.
      const byUser = new Map<string, { items: string[]; types: string[] }>();
      for (const r of interactions) {
        const h = byUser.get(r.user_id) ?? { items: [], types: [] };
        byUser.set(r.user_id, h);
        if (r.item_id) {
          h.items.push(r.item_id);
          h.types.push(r.type);
        }
      }
      const users = [...byUser.keys()];
      const lists = recommendAll(model, [...byUser.values()], k);
      await writeJsonLines(
        out,
        users.map((user, i) => ({ user_id: user, items: lists[i] })),
      );
      console.log(`recommended ${k} items to each of ${users.length} users; wrote ${out}`);
    } finally {
      model.dispose();
    }
  },
};
