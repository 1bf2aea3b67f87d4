import '../../test/setup-backend.js';
import { describe, it } from 'vitest';
import { ref } from '../../test/reference.js';
import { assertLossConforms } from '../testing/index.js';
import { binaryCrossEntropy, softmaxCrossEntropy } from './cross-entropy.js';

describe('ce', () => {
  it('passes the conformance kit, with the reference value', async () => {
    await assertLossConforms(softmaxCrossEntropy, {
      vectors: [
        { source: 'reference B.17', logits: [[1.0, 0.5]], labels: [1], expected: [0.974077] },
        {
          source: 'independent float64',
          logits: [
            [2, -1, 0.3],
            [-40, 30, 5],
          ],
          labels: [2, 0],
          expected: [ref.ce([2, -1, 0.3], 2), ref.ce([-40, 30, 5], 0)],
        },
      ],
    });
  });
});

describe('bce', () => {
  it('passes the conformance kit and equals softplus(-v) on one and two logits', async () => {
    await assertLossConforms(binaryCrossEntropy, {
      vectors: [
        {
          source: 'independent float64',
          logits: [[0.7], [-2], [3]],
          labels: [1, 1, 0],
          expected: [ref.softplus(-0.7), ref.softplus(2), ref.softplus(3)],
        },
        {
          source: 'two logits: equals softmax CE',
          logits: [
            [1.0, 0.5],
            [0.2, -1.3],
          ],
          labels: [1, 0],
          expected: [0.974077, ref.ce([0.2, -1.3], 0)],
        },
      ],
    });
  });
});
