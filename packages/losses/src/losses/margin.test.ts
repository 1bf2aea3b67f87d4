import '../../test/setup-backend.js';
import { describe, it } from 'vitest';
import { ref } from '../../test/reference.js';
import { assertLossConforms } from '../testing/index.js';
import {
  exponentialLoss,
  hingeLoss,
  multiclassHingeLoss,
  squaredLoss,
  squaredOneHotLoss,
} from './margin.js';

// Hand-computed: one logit s with label y has margin v = ±s; two logits give v = ±(z_1 - z_0).
describe('hinge', () => {
  it('passes the conformance kit with hand-computed values', async () => {
    await assertLossConforms(hingeLoss, {
      vectors: [
        {
          source: 'hand-computed',
          logits: [[0.3], [2], [-0.5]],
          labels: [1, 1, 0],
          expected: [0.7, 0, 0.5],
        },
        {
          source: 'hand-computed',
          logits: [
            [1, 0.2],
            [0, 3],
          ],
          labels: [0, 0],
          expected: [0.2, 4],
        },
      ],
    });
  });
});

describe('multiclass-hinge (Crammer-Singer)', () => {
  it('passes the conformance kit with hand-computed values', async () => {
    await assertLossConforms(multiclassHingeLoss, {
      vectors: [
        {
          source: 'hand-computed: max(0, 1 + max_{j≠y} z_j - z_y)',
          logits: [
            [2, 0.5, 1.5],
            [0, 3, -1],
            [5, 0, 0],
          ],
          labels: [0, 2, 0],
          expected: [0.5, 5, 0],
        },
      ],
    });
  });
});

describe('squared', () => {
  it('passes the conformance kit with hand-computed values', async () => {
    await assertLossConforms(squaredLoss, {
      vectors: [
        {
          source: 'hand-computed: (1 - v)²',
          logits: [[0.3], [3]],
          labels: [1, 1],
          expected: [0.49, 4],
        },
        { source: 'hand-computed: (1 - v)²', logits: [[0.5, -1]], labels: [1], expected: [6.25] },
      ],
    });
  });
});

describe('squared-onehot', () => {
  it('passes the conformance kit with hand-computed values', async () => {
    await assertLossConforms(squaredOneHotLoss, {
      vectors: [
        {
          source: 'hand-computed: ½‖z - onehot(y)‖²',
          logits: [
            [1, 0, 0],
            [0.5, 2, -1],
          ],
          labels: [0, 1],
          expected: [0, 0.5 * (0.25 + 1 + 1)],
        },
      ],
    });
  });
});

describe('exponential', () => {
  it('passes the conformance kit (finite at ±1e4) with independent values', async () => {
    // Tangent continuation of e^{-v} below v0 = -50: e^{50}·(1 + (-50 - v)).
    const tangent = (v: number) => (v >= -50 ? Math.exp(-v) : Math.exp(50) * (1 + (-50 - v)));
    const cases: [number[], number][] = [
      [[0.3], 1],
      [[-2], 1],
      [[1.5], 0],
      [[0.2, -0.4], 0],
      [[-60], 1],
      [[30, -30], 1],
    ];
    await assertLossConforms(exponentialLoss, {
      vectors: cases.map(([z, y]) => ({
        source: 'independent float64: e^{-v}',
        logits: [z],
        labels: [y],
        expected: [tangent(ref.margin(z, y))],
      })),
    });
  });
});
