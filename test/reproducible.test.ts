/**
 * `--seed` makes training deterministic on one backend: the same seed trains the same bytes (every
 * weight of the churn, anomaly and recommender networks), another seed other ones. Before, TF.js's
 * batch shuffle and SASRec's dropout drew from `Math.random`, and two runs of one command differed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAnomaly } from '@aisle/shared-models/models/anomaly';
import { encodeChurn } from '@aisle/shared-models/models/churn';
import { ARCHS, type Arch, encodeRecommender } from '@aisle/shared-models/models/recommender';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/src/backend';
import { leaveLastOut } from '../training/src/data/sequences';
import { readTable } from '../training/src/data/table';
import { trainAnomaly } from '../training/src/pipelines/anomaly';
import { trainChurnTable } from '../training/src/pipelines/churn-table';
import { trainRecommender } from '../training/src/pipelines/recommender-sasrec';
import { customerTable } from './helpers/customers';
import { humanSessions, shopHistory } from './helpers/interactions';

beforeAll(async () => {
  await useBackend('wasm');
});

const weights = (files: Map<string, Uint8Array>) => Buffer.from(files.get('weights.bin') ?? []).toString('base64');

describe('training with --seed', () => {
  it('trains the same anomaly network twice from one seed, another from another', async () => {
    const events = humanSessions({ users: 120, days: 30 });
    const run = async (seed: number) => {
      const { network } = await trainAnomaly(events, { epochs: 6, seed });
      const bytes = weights(await encodeAnomaly(network));
      network.dispose();
      return bytes;
    };
    const first = await run(7);
    expect(await run(7)).toBe(first);
    expect(await run(8)).not.toBe(first);
  }, 120_000);

  it('trains the same churn network twice from one seed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aisle-seed-')), 'customers.csv');
    writeFileSync(file, customerTable({ rows: 600 }));
    const table = readTable(file);
    const run = async (seed: number) => {
      const result = await trainChurnTable(table, { label: 'churned', id: 'customer_id', epochs: 8, seed });
      const bytes = weights(await encodeChurn(result.network));
      result.network.dispose();
      return bytes;
    };
    const first = await run(3);
    expect(await run(3)).toBe(first);
  }, 120_000);

  it('trains the same recommender twice from one seed, dropout included, with either network', async () => {
    const split = leaveLastOut(shopHistory({ users: 80 }));
    const run = async (arch: Arch) => {
      const trained = await trainRecommender(split, { epochs: 2, seed: 5, config: { dropout: 0.3, arch } });
      const bytes = weights(await encodeRecommender(trained));
      trained.model.dispose();
      return bytes;
    };
    for (const arch of ARCHS) expect(await run(arch)).toBe(await run(arch));
  }, 180_000);
});
