/** The churn trainer's candidates: the MLP averaged with recency, frequency and money's own regression only where they say something. */
import { random } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend';
import { rocAuc } from '../eval/classification';
import { type Candidate, chooseChurn, trainChurnTable } from './churn-table';

/** 600 customers: churn follows recency and a taste column; orders and money vary, or are the same for all. */
function table(rfmVaries: boolean) {
  const rnd = random(3);
  const rows = Array.from({ length: 600 }, (_, i) => {
    const recency = rnd() * 120;
    const taste = rnd();
    const churned = recency / 120 + 0.5 * taste + 0.3 * rnd() > 0.9 ? 'yes' : 'no';
    return {
      user_id: `u${i}`,
      days_since_last_purchase: rfmVaries ? recency.toFixed(1) : '',
      orders: rfmVaries ? String(1 + Math.floor(rnd() * 5)) : '0',
      revenue: rfmVaries ? (rnd() * 300).toFixed(2) : '0',
      taste: taste.toFixed(3),
      seen: recency.toFixed(1),
      churned,
    };
  });
  return { columns: Object.keys(rows[0]), rows };
}

const RFM = ['days_since_last_purchase', 'orders', 'revenue'];

describe('trainChurnTable with recency, frequency and money', () => {
  beforeAll(() => useBackend('cpu'));

  it('adds the averaged network as a third candidate, one network the format reads', async () => {
    const result = await trainChurnTable(table(true), {
      label: 'churned',
      id: 'user_id',
      epochs: 15,
      seed: 4,
      rfm: RFM,
    });
    expect(result.compared.map((c) => c.architecture).sort()).toEqual(['logistic', 'mlp', 'mlp+rfm']);
    expect(result.choice).toMatch(/^(mlp\+rfm|mlp|logistic): /);
    expect(result.network.inputs[0].shape[1]).toBe(result.manifest.tabular.columns.length);
    expect(result.compared[0].test.rocAuc).toBeGreaterThan(0.8);
    result.network.dispose();
  });

  it('leaves it out where they are the same for every customer (visits, nobody bought), and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const result = await trainChurnTable(table(false), {
      label: 'churned',
      id: 'user_id',
      epochs: 15,
      seed: 4,
      rfm: RFM,
    });
    expect(result.compared.map((c) => c.architecture).sort()).toEqual(['logistic', 'mlp']);
    expect(result.choice).toMatch(
      /the best validation ROC-AUC .*\(mlp\+rfm not tried: the RFM regression gives every row the same score\)$/,
    );
    result.network.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('chooseChurn', () => {
  // 200 validation rows; a signal every candidate sees, each with noise of its own.
  const rnd = random(9);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const labels = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : 0));
  const shared = labels.map((y) => y + normal());
  const scored = (architecture: Candidate['architecture'], noise: number, extra = 0): Candidate => {
    const valid = shared.map((v, i) => v + noise * normal() + extra * labels[i]);
    return { architecture, valid, validRocAuc: rocAuc(valid, labels) };
  };

  it('keeps the average where a single network leads it by no more than three standard errors of the difference', () => {
    const average = scored('mlp+rfm', 0.6);
    const mlp = scored('mlp', 0.6, 0.1);
    expect(mlp.validRocAuc).toBeGreaterThan(average.validRocAuc);
    const { kept, choice } = chooseChurn([scored('logistic', 2), mlp, average], labels);
    expect(kept).toBe(2);
    expect(choice).toMatch(
      /^mlp\+rfm: mlp ahead of mlp\+rfm on validation by 0\.0\d+, [0-2]\.\d standard errors of the difference \(the average is kept unless led by more than 3\)$/,
    );
  });

  it('keeps the single network where it leads by more, and the best where there is no average', () => {
    const { kept, choice } = chooseChurn([scored('logistic', 0.1, 1), scored('mlp', 1), scored('mlp+rfm', 1)], labels);
    expect(kept).toBe(0);
    expect(choice).toMatch(
      /^logistic: logistic ahead of mlp\+rfm on validation by 0\.\d+, \d+\.\d standard errors of the difference$/,
    );
    expect(chooseChurn([scored('logistic', 2), scored('mlp', 0.2)], labels)).toMatchObject({ kept: 1 });
  });

  it('keeps the average where it is the best, or level with the best', () => {
    const average = scored('mlp+rfm', 0.2);
    expect(chooseChurn([scored('logistic', 2), scored('mlp', 1), average], labels)).toMatchObject({
      kept: 2,
      choice: expect.stringMatching(/^mlp\+rfm: the best validation ROC-AUC/),
    });
    expect(chooseChurn([{ ...average, architecture: 'mlp' }, average], labels).kept).toBe(1);
  });
});
