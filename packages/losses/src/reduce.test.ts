import '../test/setup-backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { weightedReduce } from './reduce.js';

// Reference B.17, "Weighted batch".
const losses = [0.048587, 0.554355, 1.103186, 0.974077];
const weights = [0.55, 0.55, 0.55, 5.5];

describe('weightedReduce', () => {
  it.each([
    ['normalized', 0.880531],
    ['mean', 1.573949],
    ['sum', 1.573949 * 4],
  ] as const)('%s matches the reference value', async (reduction, expected) => {
    const out = weightedReduce(tf.tensor1d(losses), tf.tensor1d(weights), reduction);
    expect((await out.data())[0]).toBeCloseTo(expected, 5);
  });

  it('gives 0 for an all-zero-weight batch under normalized', async () => {
    const out = weightedReduce(tf.tensor1d([1, 2]), tf.tensor1d([0, 0]), 'normalized');
    expect((await out.data())[0]).toBe(0);
  });

  it('is differentiable under every reduction, and zero weights get zero gradient', async () => {
    // Regression: tf.divNoNan put an Equal (no gradient in tfjs) on the gradient path.
    const w = tf.tensor1d([0, 2, 0.5]);
    for (const reduction of ['mean', 'normalized', 'sum'] as const) {
      const g = tf.grad((l: tf.Tensor) => weightedReduce(l as tf.Tensor1D, w, reduction))(
        tf.tensor1d([1, 2, 3]),
      );
      const divisor = { mean: 3, normalized: 2.5, sum: 1 }[reduction];
      const got = Array.from(await g.data());
      [0, 2 / divisor, 0.5 / divisor].forEach((e, i) => {
        expect(got[i]).toBeCloseTo(e, 6);
      });
    }
  });

  it('rejects mismatched lengths and unknown reductions, naming the field', () => {
    expect(() => weightedReduce(tf.tensor1d([1, 2]), tf.tensor1d([1]), 'sum')).toThrow(/weights/);
    expect(() =>
      weightedReduce(tf.tensor1d([1]), tf.tensor1d([1]), 'avg' as unknown as 'sum'),
    ).toThrow(/reduction/);
  });
});
