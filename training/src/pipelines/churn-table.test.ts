/** The churn trainer's candidates: the MLP averaged with recency, frequency and money's own regression only where they say something. */
import { random } from '@aisle/shared-models/util/random';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend';
import { trainChurnTable } from './churn-table';

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
    expect(result.choice).toMatch(/the best validation ROC-AUC/);
    result.network.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
