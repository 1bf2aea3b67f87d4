import '../../test/setup-backend.js';
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/reference.js';
import { createLoss } from '../registry.js';
import { assertLossConforms } from '../testing/index.js';
import { polyLoss } from './poly.js';

const margins = [-2, 0, 0.5, 1, 2, 10];
// Reference B.17, Poly "logit" type.
const expectedAlpha1 = [6.789621, 2.212678, 1.513358, 1.0, 0.5, 0.1];
const expectedAlpha2 = [6.789621, 2.212678, 1.513358, 1.0, 0.25, 0.01];

describe('poly', () => {
  it.each([
    [1, expectedAlpha1],
    [2, expectedAlpha2],
  ])(
    'passes the conformance kit and the reference vectors with α = %d',
    async (alpha, expected) => {
      await assertLossConforms(polyLoss, {
        params: { alpha },
        vectors: [
          {
            source: 'reference B.17, one logit s = v, label 1',
            params: { alpha },
            logits: margins.map((v) => [v]),
            labels: margins.map(() => 1),
            expected,
          },
          {
            source: 'reference B.17, two logits with z_1 - z_0 = -v, label 0',
            params: { alpha },
            logits: margins.map((v) => [v / 2, -v / 2]),
            labels: margins.map(() => 0),
            expected,
          },
        ],
      });
    },
  );

  it('extends to K classes through the smooth margin z_y - log Σ_{j≠y} e^{z_j}', async () => {
    const rows = [
      [0.3, 0.2, -1.0],
      [4.0, 1.0, 0.5],
      [-1.0, -1.0, 3.0],
    ];
    const labels = [1, 0, 2];
    const expected = rows.map((z, i) => {
      const y = labels[i] as number;
      const others = z.filter((_, j) => j !== y);
      return ref.polyTail((z[y] as number) - ref.logSumExp(others), 2);
    });
    // The left branch of the extension is CE rescaled: check that identity too.
    expect(expected[0]).toBeCloseTo(ref.ce(rows[0] as number[], 1) / Math.log1p(Math.exp(-1)), 10);
    await assertLossConforms(polyLoss, {
      params: { alpha: 2 },
      vectors: [
        { source: 'independent float64', params: { alpha: 2 }, logits: rows, labels, expected },
      ],
    });
  });

  it('has the official "linear" type: α/(α-1) - v below v = 1, v^-α/(α-1) above', async () => {
    const alpha = 2;
    const linear = (v: number) => (v <= 1 ? alpha / (alpha - 1) - v : v ** -alpha / (alpha - 1));
    const params = { alpha, type: 'linear' };
    await assertLossConforms(polyLoss, {
      params,
      vectors: [
        {
          source: 'hand-computed from the reference B.4 formula',
          params,
          logits: margins.map((v) => [v]),
          labels: margins.map(() => 1),
          expected: margins.map(linear),
        },
      ],
    });
    expect(linear(-2)).toBe(4);
  });

  it('rejects the "linear" type with α ≤ 1, naming alpha', () => {
    expect(() => createLoss('poly', { alpha: 1, type: 'linear' }, { numClasses: 2 })).toThrow(
      /params\.alpha.*"linear" type needs alpha > 1/,
    );
  });
});
