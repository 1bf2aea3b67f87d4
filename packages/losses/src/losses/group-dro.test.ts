import '../../test/setup-backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
// A base loss whose per-example values are the logits' first column, so group means are exact.
// Registered once per file: the registry is process-wide.
import { z } from 'zod';
import { defineLoss } from '../define.js';
import { weightedReduce } from '../reduce.js';
import { createLoss, registerLoss } from '../registry.js';
import { assertLossConforms } from '../testing/index.js';
import { type GroupDroLoss, groupDroLoss } from './group-dro.js';

registerLoss(
  defineLoss({
    name: 'test-identity',
    description: 'Per-example value z_0 (test helper).',
    params: z.strictObject({}),
    properties: {
      logits: 'multiclass',
      nonNegative: false,
      shiftInvariant: false,
      monotone: false,
    },
    create: () => ({
      name: 'test-identity',
      perExample: (logits) =>
        tf.tidy(() => tf.reshape(tf.slice(logits, [0, 0], [-1, 1]), [-1]) as tf.Tensor1D),
    }),
  }),
);

function ctx(group: number[], step: number) {
  return {
    numClasses: 2,
    groupCounts: [10, 10, 10, 10],
    epoch: 0,
    step,
    group: tf.tensor1d(group, 'int32'),
  };
}

describe('group-dro', () => {
  it('passes the conformance kit', async () => {
    await assertLossConforms(groupDroLoss, {
      params: { stepSize: 0.1, generalizationAdjustment: 1 },
    });
  });

  it('takes the reference step: q = ¼, L̄ = [0.1, 0.2, 0.5, 1.5], η = 0.01 (B.17)', async () => {
    const loss = createLoss(
      'group-dro',
      { base: 'test-identity' },
      { numClasses: 2, groupCounts: [10, 10, 10, 10] },
    ) as GroupDroLoss;
    // Two examples per group; their means are the reference L̄.
    const values = [0.05, 0.15, 0.1, 0.3, 0.4, 0.6, 1.0, 2.0];
    const groups = [0, 0, 1, 1, 2, 2, 3, 3];
    const logits = tf.tensor2d(values.map((v) => [v, 0]));
    const perExample = loss.perExample(
      logits,
      tf.tensor1d([0, 0, 0, 0, 0, 0, 0, 0], 'int32'),
      ctx(groups, 0),
    );
    const q = await loss.groupWeights();
    [0.248811, 0.24906, 0.249809, 0.252319].forEach((e, g) => {
      // The reference is rounded to 6 decimals and we compute in float32.
      expect(q[g]).toBeCloseTo(e, 5);
    });
    // 'mean' with unit weights gives Σ_g q_g·L̄_g.
    const total = weightedReduce(perExample, tf.ones([8]) as tf.Tensor1D, 'mean');
    expect((await total.data())[0]).toBeCloseTo(0.578077, 5);
    loss.dispose();
  });

  it('moves q once per step, upweights the worst group, and never differentiates q', async () => {
    const loss = createLoss(
      'group-dro',
      { base: 'test-identity', stepSize: 1 },
      { numClasses: 2, groupCounts: [5, 5] },
    ) as GroupDroLoss;
    const logits = tf.tensor2d([
      [1, 0],
      [3, 0],
    ]);
    const y = tf.tensor1d([0, 0], 'int32');
    const c = { numClasses: 2, epoch: 0, step: 7, group: tf.tensor1d([0, 1], 'int32') };
    const grad = tf.grad((zt: tf.Tensor) => tf.sum(loss.perExample(zt as tf.Tensor2D, y, c)))(
      logits,
    );
    const q1 = await loss.groupWeights();
    // q ∝ [e^1, e^3]; the gradient is q_g·B/n_g = 2·q_g on z_0 of each example, nothing through q.
    expect(q1[1]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(3)), 5);
    const g = Array.from(await grad.data());
    expect(g[0]).toBeCloseTo(2 * (q1[0] as number), 5);
    expect(g[2]).toBeCloseTo(2 * (q1[1] as number), 5);
    loss.perExample(logits, y, c); // same step: evaluation, q stays
    expect(await loss.groupWeights()).toEqual(q1);
    loss.perExample(logits, y, { ...c, step: 8 });
    expect((await loss.groupWeights())[1]).toBeGreaterThan(q1[1] as number);
    loss.setGroupWeights([0.5, 0.5]);
    expect(await loss.groupWeights()).toEqual([0.5, 0.5]);
    loss.dispose();
  });

  it('keeps q finite when the loss of one group explodes', async () => {
    const loss = createLoss(
      'group-dro',
      { stepSize: 1 },
      { numClasses: 2, groupCounts: [5, 5] },
    ) as GroupDroLoss;
    // Group 1 is confidently wrong: CE = 2e4, so η·L̄ = 2e4 and a naive exp overflows.
    const out = loss.perExample(
      tf.tensor2d([
        [1e4, -1e4],
        [1e4, -1e4],
      ]),
      tf.tensor1d([0, 1], 'int32'),
      {
        numClasses: 2,
        epoch: 0,
        step: 0,
        group: tf.tensor1d([0, 1], 'int32'),
      },
    );
    const q = await loss.groupWeights();
    expect(q[0]).toBeCloseTo(0, 6);
    expect(q[1]).toBeCloseTo(1, 6);
    expect(Array.from(await out.data()).every(Number.isFinite)).toBe(true);
    loss.dispose();
  });

  it('fails clearly without group counts, with a bad base, or with a mismatched numGroups', () => {
    expect(() => createLoss('group-dro', {}, { numClasses: 2 })).toThrow(/context\.groupCounts/);
    expect(() =>
      createLoss('group-dro', { generalizationAdjustment: 1, numGroups: 3 }, { numClasses: 2 }),
    ).toThrow(/needs context\.groupCounts/);
    expect(() =>
      createLoss('group-dro', { base: 'nope' }, { numClasses: 2, groupCounts: [1] }),
    ).toThrow(/unknown loss "nope"/);
    expect(() =>
      createLoss(
        'group-dro',
        { base: 'poly', baseParams: { alpha: -1 } },
        { numClasses: 2, groupCounts: [1] },
      ),
    ).toThrow(/params\.baseParams\.alpha/);
    expect(() =>
      createLoss('group-dro', { numGroups: 2 }, { numClasses: 2, groupCounts: [1, 2, 3] }),
    ).toThrow(/params\.numGroups/);
  });
});
