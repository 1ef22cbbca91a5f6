/**
 * @module edge-server/first-page — the recommendations of a shopper's first page, answered by the
 * edge: on a first visit the device holds no history and no model yet (a 10k-item shop's models are
 * a megabyte, seconds on a phone's network), so the edge runs the very code the device would run
 * (`recommendationServer`, the same model and catalogue) on the one thing the device would read —
 * the product on screen — and the device shows that until its own model answers the next event.
 * Imported on the first such request, which starts TensorFlow.js's wasm backend (as the trainer runs it).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { CatalogItem } from '@aisle/shared-models/models/catalog';
import type { ModelFiles } from '@aisle/shared-models/models/files';
import {
  type CandidateSource,
  decodeRecommender,
  type RecommenderManifest,
  recommendationServer,
  type Served,
} from '@aisle/shared-models/models/recommender';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let started: Promise<void> | undefined;
/** TensorFlow.js on wasm, its binaries from the installed package (never fetched from elsewhere). */
function startBackend() {
  started ??= (async () => {
    if (tf.getBackend() === 'wasm') return;
    const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasm)}/`);
    if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
    await tf.ready();
  })();
  return started;
}

/** What the page says and the tag asks: as the device's client reads them (`infer/client.ts`). */
export interface FirstPageQuestion {
  k: number;
  perCategory?: number;
  /** The product's category as the page gives it (its `view_item`), if it does. */
  category?: string;
  /** The product's name as the page gives it. */
  name?: string;
}

export interface FirstPageServer {
  readonly version: number;
  /** What a device with no history shows on `item`'s page. */
  answer(item: string, question: FirstPageQuestion): Promise<Served>;
  dispose(): void;
}

/**
 * One published recommender with its catalogue, ready to answer first pages. `candidates`: for a
 * head model, the edge's own candidate table (what a device would ask the edge for anyway).
 */
export async function firstPageServer(
  files: ModelFiles,
  manifest: RecommenderManifest,
  catalogue: readonly CatalogItem[],
  candidates?: CandidateSource,
): Promise<FirstPageServer> {
  await startBackend();
  const model = await decodeRecommender(files, manifest);
  const server = recommendationServer(model, catalogue, candidates);
  return {
    version: manifest.version,
    answer(item, { k, perCategory, category, name }) {
      // The page's one event as the device records it, and the rules its client asks with
      // (`refreshNow`): the product on screen left out, the page's category as the context.
      const seen = {
        item_id: item,
        ...(category ? { item_category: category } : {}),
        ...(name ? { item_name: name } : {}),
      };
      return server.recommend([{ type: 'view_item', ts: Date.now(), items: [seen] }], {
        k,
        perCategory,
        exclude: [item],
        item,
        context: category,
      });
    },
    dispose: () => model.dispose(),
  };
}
