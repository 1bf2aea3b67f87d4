import '@tensorflow/tfjs-backend-cpu';
import type { WeightedLoss } from '@iwlab/core';
import { WeightsError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../test/helpers.js';
import { weightedRisk } from './risk.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('weightedRisk', () => {
  it('uses softmax cross-entropy by default (reference B.17: CE([1, 0.5], y=1) = 0.974077)', async () => {
    // CE([1, 0.5], y=0) = log(1 + e^-0.5) = 0.474077; argmax is class 0 for both rows.
    const r = await run(weightedRisk({ numClasses: 2 }), [
      { logits: [[1, 0.5]], y: [1], w: [1] },
      { logits: [[1, 0.5]], y: [0], w: [3] },
    ]);
    expect(r['risk']).toBeCloseTo((0.974077 + 0.474077) / 2, 5);
    expect(r['weightedRisk']).toBeCloseTo((0.974077 + 3 * 0.474077) / 4, 5);
    expect(r['weightedError']).toBeCloseTo(1 / 4, 6);
    expect(r['weightedAccuracy']).toBeCloseTo(3 / 4, 6);
    expect(r['weightSum']).toBe(4);
  });

  it('gives the same CE for one sigmoid logit s as for the logits [0, s]', async () => {
    const r = await run(weightedRisk({ numClasses: 2 }), [{ logits: [[-0.5]], y: [1] }]);
    expect(r['risk']).toBeCloseTo(0.974077, 5);
  });

  it('applies the weights to any loss (reference B.17 weighted batch: 0.880531)', async () => {
    const losses = [0.048587, 0.554355, 1.103186, 0.974077];
    let call = 0;
    const fixed: WeightedLoss = {
      name: 'fixed',
      perExample: (logits) => {
        const next = call + logits.shape[0];
        const out = tf.tensor1d(losses.slice(call, next));
        call = next;
        return out;
      },
    };
    const r = await run(weightedRisk({ numClasses: 2, loss: fixed }), [
      {
        logits: [
          [0, 0],
          [0, 0],
        ],
        y: [0, 0],
        w: [0.55, 0.55],
      },
      {
        logits: [
          [0, 0],
          [0, 0],
        ],
        y: [0, 1],
        w: [0.55, 5.5],
      },
    ]);
    expect(r['weightedRisk']).toBeCloseTo(0.880531, 5);
    expect(r['risk']).toBeCloseTo(losses.reduce((a, b) => a + b) / 4, 6);
  });

  it('omits the weighted keys when all weights are zero, and reports nothing else with no data', async () => {
    const zero = await run(weightedRisk({ numClasses: 2 }), [{ logits: [[1, 0]], y: [0], w: [0] }]);
    expect(Object.keys(zero).sort()).toEqual(['risk', 'weightSum']);
    expect(await run(weightedRisk({ numClasses: 2 }), [])).toEqual({ weightSum: 0 });
  });

  it('rejects negative and non-finite weights at result time, counting them', async () => {
    await expect(
      run(weightedRisk({ numClasses: 2 }), [
        {
          logits: [
            [1, 0],
            [1, 0],
            [0, 1],
          ],
          y: [0, 1, 1],
          w: [1, -1, Number.NaN],
        },
      ]),
    ).rejects.toThrow(WeightsError);
    await expect(
      run(weightedRisk({ numClasses: 2 }), [{ logits: [[1, 0]], y: [0], w: [-2] }]),
    ).rejects.toThrow(/1 of 1 weights.*field batch\.w|field batch\.w.*1 of 1 weights/);
  });
});
