import '@tensorflow/tfjs-backend-cpu';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../test/helpers.js';
import { exampleMargins, marginDenominator, marginMetrics } from './margins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// margins: [3,1,2] y=0 → 1; [0.5,1,0] y=0 → −0.5; [1,0,4] y=2 → 3. Class 1 has no examples.
const batches = [
  { logits: [[3, 1, 2]], y: [0] },
  {
    logits: [
      [0.5, 1, 0],
      [1, 0, 4],
    ],
    y: [0, 2],
  },
];

describe('exampleMargins', () => {
  it('is z_y − max_{k≠y} z_k, and ỹ·s for one sigmoid logit', async () => {
    const m = exampleMargins(
      tf.tensor2d([
        [3, 1, 2],
        [0.5, 1, 0],
        [1, 0, 4],
      ]),
      tf.tensor1d([0, 0, 2], 'int32'),
    );
    expect(Array.from(await m.data())).toEqual([1, -0.5, 3]);
    const s = exampleMargins(tf.tensor2d([[2], [-3]]), tf.tensor1d([1, 0], 'int32'));
    expect(Array.from(await s.data())).toEqual([2, 3]);
  });
});

describe('marginMetrics', () => {
  it('gives the per-class and overall minimum margins, skipping the empty class', async () => {
    const r = await run(marginMetrics({ numClasses: 3 }), batches);
    expect(r).toEqual({ 'classMinMargin.0': -0.5, 'classMinMargin.2': 3, minMargin: -0.5 });
  });

  it('normalizes by ‖θ‖^L (global) or by the product of layer norms', async () => {
    const a = tf.tensor2d([[3, 4]]); // ‖a‖ = 5
    const b = tf.tensor1d([1, 2, 2]); // ‖b‖ = 3
    const global = await run(
      marginMetrics({ numClasses: 3, normalization: { parameters: () => [a], degree: 2 } }),
      batches,
    );
    expect(global['parameterNorm']).toBeCloseTo(25, 5);
    expect(global['normalizedMargin']).toBeCloseTo(-0.5 / 25, 7);
    expect(global['classNormalizedMargin.2']).toBeCloseTo(3 / 25, 7);
    const product = await run(
      marginMetrics({
        numClasses: 3,
        normalization: { parameters: () => [a, b], kind: 'layerProduct' },
      }),
      batches,
    );
    expect(product['parameterNorm']).toBeCloseTo(15, 5);
    expect(product['normalizedMargin']).toBeCloseTo(-0.5 / 15, 7);
    // ‖(3,4,1,2,2)‖ = √34, degree 1.
    expect(await marginDenominator({ parameters: () => [a, b], degree: 1 })).toBeCloseTo(
      Math.sqrt(34),
      5,
    );
  });

  it('is invariant to rescaling a homogeneous linear model', async () => {
    // A bias-free linear model z = xW; scaling W by c scales margins and ‖W‖ by c.
    const x = tf.tensor2d([
      [1, 2],
      [-1, 0.5],
      [0.3, -2],
    ]);
    const y = [0, 1, 1];
    const values = async (c: number) => {
      const w = tf.mul(
        tf.tensor2d([
          [0.4, -1],
          [1.5, 0.2],
        ]),
        c,
      ) as tf.Tensor2D;
      const logits = tf.matMul(x, w);
      const r = await run(
        marginMetrics({ numClasses: 2, normalization: { parameters: () => [w], degree: 1 } }),
        [{ logits: (await logits.array()) as number[][], y }],
      );
      return r['normalizedMargin'] as number;
    };
    expect(await values(7)).toBeCloseTo(await values(1), 5);
  });

  it('omits normalized keys for zero parameters and reports no margin without examples', async () => {
    const zero = await run(
      marginMetrics({
        numClasses: 2,
        normalization: { parameters: () => [tf.zeros([2])], degree: 1 },
      }),
      [{ logits: [[0, 0]], y: [0] }],
    );
    expect(zero).toEqual({ parameterNorm: 0, 'classMinMargin.0': 0, minMargin: 0 });
    expect(await run(marginMetrics({ numClasses: 2 }), [])).toEqual({});
  });

  it('needs a homogeneity degree for the global normalization', () => {
    expect(() => marginMetrics({ numClasses: 2, normalization: { parameters: () => [] } })).toThrow(
      SpecError,
    );
    expect(() =>
      marginMetrics({ numClasses: 2, normalization: { parameters: () => [], degree: 0 } }),
    ).toThrow(/normalization\.degree/);
  });
});
