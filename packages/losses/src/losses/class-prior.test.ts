import '../../test/setup-backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/reference.js';
import { assertLossConforms } from '../testing/index.js';
import {
  adjustLogits,
  balancedSoftmaxLoss,
  ldamLoss,
  ldamMargins,
  logitAdjustedLoss,
  vsLoss,
  vsParameters,
} from './class-prior.js';

// Reference B.17 setup: n = [4000, 400], class 1 the minority.
const setup = { numClasses: 2, classCounts: [4000, 400] };
const z = [[1.0, 0.5]];

describe('ldam', () => {
  it('computes the reference margins', () => {
    const margins = ldamMargins([4000, 400], 0.5);
    expect(margins[0]).toBeCloseTo(0.281171, 6);
    expect(margins[1]).toBeCloseTo(0.5, 6);
  });

  it('passes the conformance kit with the reference values', async () => {
    await assertLossConforms(ldamLoss, {
      // s = 30 multiplies every logit: smaller logits and steps keep differences in float32 range.
      logitScale: 0.1,
      finiteDifferenceStep: 1e-3,
      vectors: [
        {
          source: 'reference B.17 (s = 1)',
          params: { scale: 1 },
          setup,
          logits: z,
          labels: [1],
          expected: [1.313262],
        },
        {
          source: 'reference B.17 (s = 30)',
          params: { scale: 30 },
          setup,
          logits: [[0.2, 0.9]],
          labels: [1],
          expected: [0.0024757],
          tolerance: 1e-4,
        },
        {
          source: 'independent float64 (3 classes)',
          params: { scale: 2, maxMargin: 1 },
          setup: { numClasses: 3, classCounts: [100, 10, 1] },
          logits: [[0.1, 0.4, -0.3]],
          labels: [2],
          // Δ_2 = 1 for the rarest class: CE(2·(z - e_2), 2).
          expected: [ref.ce([0.2, 0.8, -2.6], 2)],
        },
      ],
    });
  });
});

describe('logit-adjusted', () => {
  it('passes the conformance kit with the reference values', async () => {
    await assertLossConforms(logitAdjustedLoss, {
      vectors: [
        {
          source: 'reference B.17 (τ = 1)',
          setup,
          logits: [z[0] as number[], z[0] as number[]],
          labels: [1, 0],
          expected: [2.86147, 0.058885],
        },
      ],
    });
  });

  it('post-hoc: subtracts τ·log π, favouring the minority class', async () => {
    const adjusted = adjustLogits(tf.tensor2d(z), [4000, 400], 1);
    const got = Array.from(await adjusted.data());
    expect(got[0]).toBeCloseTo(1 - Math.log(4000 / 4400), 5);
    expect(got[1]).toBeCloseTo(0.5 - Math.log(400 / 4400), 5);
    expect(got[1]).toBeGreaterThan(got[0] as number);
  });

  it('rejects logits whose width is not the number of classes it was created for', () => {
    const loss = logitAdjustedLoss.create({ tau: 1 }, setup);
    expect(() =>
      loss.perExample(tf.tensor2d([[1, 2, 3]]), tf.tensor1d([0], 'int32'), {
        ...setup,
        epoch: 0,
        step: 0,
      }),
    ).toThrow(/created for 2 classes but got 3 logits/);
  });

  it('post-hoc: rejects counts that do not match the logits', () => {
    expect(() => adjustLogits(tf.tensor2d(z), [1, 2, 3])).toThrow(/classCounts has 3 entries/);
    expect(() => adjustLogits(tf.tensor2d(z), [10, 0])).toThrow(/classCounts\[1\]/);
  });
});

describe('balanced-softmax', () => {
  it('passes the conformance kit and equals LA with τ = 1 (reference B.17)', async () => {
    await assertLossConforms(balancedSoftmaxLoss, {
      vectors: [{ source: 'reference B.17', setup, logits: z, labels: [1], expected: [2.86147] }],
    });
  });
});

describe('vs', () => {
  it('computes the reference Δ and ι (τ 3, γ 0.3)', () => {
    const { scale, offset } = vsParameters([4000, 400], 0.3, 3);
    expect(scale[0]).toBeCloseTo(1, 6);
    expect(scale[1]).toBeCloseTo(0.501187, 6);
    expect(offset[0]).toBeCloseTo(-0.285931, 6);
    expect(offset[1]).toBeCloseTo(-7.193686, 6);
  });

  it('passes the conformance kit with the reference values', async () => {
    await assertLossConforms(vsLoss, {
      params: { tau: 3, gamma: 0.3 },
      vectors: [
        {
          source: 'reference B.17 (τ 3, γ 0.3)',
          params: { tau: 3, gamma: 0.3 },
          setup,
          logits: [z[0] as number[], z[0] as number[]],
          labels: [1, 0],
          expected: [7.657634, 0.00047254],
          tolerance: 2e-5,
        },
        {
          source: 'γ = 0 reduces to logit adjustment (reference B.7)',
          params: { tau: 1, gamma: 0 },
          setup,
          logits: z,
          labels: [1],
          expected: [2.86147],
        },
      ],
    });
  });
});
