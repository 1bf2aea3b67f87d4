import '../../test/setup-backend.js';
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/reference.js';
import { assertLossConforms } from '../testing/index.js';
import { sigmoidFocalLoss, softmaxFocalLoss } from './focal.js';

describe('focal (softmax)', () => {
  it.each([
    [1, 0.606323],
    [2, 0.377412],
  ])('passes the conformance kit with the reference value for γ = %d', async (gamma, expected) => {
    await assertLossConforms(softmaxFocalLoss, {
      params: { gamma },
      vectors: [
        {
          source: 'reference B.17',
          params: { gamma },
          logits: [[1.0, 0.5]],
          labels: [1],
          expected: [expected],
        },
        {
          source: 'γ = 0 is CE',
          params: { gamma: 0 },
          logits: [[1.0, 0.5]],
          labels: [1],
          expected: [0.974077],
        },
        {
          source: 'independent float64 with α per class',
          params: { gamma, alpha: [0.2, 0.3, 0.5] },
          setup: { numClasses: 3 },
          logits: [[0.3, -1.2, 2.0]],
          labels: [1],
          expected: [
            0.3 *
              (1 - Math.exp(-ref.ce([0.3, -1.2, 2.0], 1))) ** gamma *
              ref.ce([0.3, -1.2, 2.0], 1),
          ],
        },
      ],
    });
  });

  it('rejects an α with the wrong number of classes, naming it', () => {
    expect(() => softmaxFocalLoss.create({ gamma: 1, alpha: [1, 2] }, { numClasses: 3 })).toThrow(
      /params\.alpha/,
    );
  });
});

describe('sigmoid-focal', () => {
  // torchvision's formula, evaluated directly: p = σ(s), p_t = p·t + (1-p)(1-t), α_t likewise.
  const torchvision = (s: number, t: number, alpha: number, gamma: number) => {
    const p = ref.sigmoid(s);
    const pt = p * t + (1 - p) * (1 - t);
    const ce = -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
    const at = alpha * t + (1 - alpha) * (1 - t);
    return at * (1 - pt) ** gamma * ce;
  };

  it('passes the conformance kit and matches the torchvision formula', async () => {
    const s = [0.4, -1.3, 2.2, 0];
    const t = [1, 1, 0, 0];
    await assertLossConforms(sigmoidFocalLoss, {
      vectors: [
        {
          source: 'independent float64 (torchvision formula, α 0.25, γ 2)',
          logits: s.map((v) => [v]),
          labels: t,
          expected: s.map((v, i) => torchvision(v, t[i] as number, 0.25, 2)),
        },
        {
          source: 'independent float64, two logits, α off, γ 1',
          params: { alpha: null, gamma: 1 },
          logits: [
            [0.1, 0.5],
            [1.0, -1.0],
          ],
          labels: [1, 1],
          expected: [ref.margin([0.1, 0.5], 1), ref.margin([1.0, -1.0], 1)].map((v) => {
            const pt = ref.sigmoid(v);
            return (1 - pt) * ref.softplus(-v);
          }),
        },
      ],
    });
  });
});
