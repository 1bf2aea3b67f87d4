import { describe, expect, it } from 'vitest';
import { weightRuns } from './__tests__/series.js';
import { cellEffect, groupCells } from './claims.js';
import { evaluatePredictions, marginConvergence, settlingTimes } from './predictions.js';

// Fraction predicted positive over 20 evaluations: each weight starts 0.4·sign(ln r) away from
// 0.5 and closes in linearly, reaching 0.5 at evaluation `joins(r)` and staying there.
function curves(joins: (ratio: number) => number) {
  return (ratio: number) =>
    Array.from({ length: 20 }, (_, e) => {
      const sign = Math.sign(Math.log(ratio));
      return sign === 0 ? 0.5 : 0.5 + sign * 0.4 * Math.max(0, 1 - e / joins(ratio));
    });
}

const effectOf = (ratios: number[], joins: (ratio: number) => number, model = 'mlp') => {
  const [cell] = groupCells(weightRuns({ ratios, model: { kind: model }, curve: curves(joins) }));
  const effect = cell ? cellEffect(cell) : null;
  if (effect === null) throw new Error('no effect');
  return effect;
};

describe('settlingTimes', () => {
  it('gives the epoch from which each weight stays within the tolerance of the unweighted curve', () => {
    // 4:1 joins at evaluation 4: within 0.05 once 0.4·(1 − e/4) ≤ 0.05, from e = 3.5, so e = 4,
    // epoch 5 (1-based). 16:1 joins at 12: from e = 10.5, so epoch 12.
    const e = effectOf([1, 4, 16], (r) => (r === 4 ? 4 : 12));
    expect(settlingTimes(e)).toEqual([
      { weight: 4, epoch: 5 },
      { weight: 16, epoch: 12 },
    ]);
    // Never within 0.001 before it joins: 16:1 joins at 12, epoch 13.
    expect(settlingTimes(e, 0.001)?.[1]).toEqual({ weight: 16, epoch: 13 });
  });

  it('says never for a weight still away at the end, and null without an unweighted run', () => {
    expect(settlingTimes(effectOf([1, 4], () => 40))).toEqual([{ weight: 4, epoch: null }]);
    expect(settlingTimes(effectOf([0.25, 4], () => 4))).toBeNull();
  });
});

describe('evaluatePredictions', () => {
  const verdict = (ratios: number[], joins: (r: number) => number) =>
    evaluatePredictions([effectOf(ratios, joins)])[0];

  it('reproduces (b) when heavier weights join later', () => {
    const claim = verdict([1 / 16, 0.25, 1, 4, 16], (r) => 3 * Math.abs(Math.log2(r)));
    expect(claim?.verdict).toBe('reproduced');
    // 1:4 and 4:1 join at evaluation 6 (within 0.05 from e = 5.25: epoch 7), 1:16 and 16:1 at 12
    // (from e = 10.5: epoch 12).
    expect(claim?.evidence[0]?.numbers).toMatch(
      /\|ln r\| 1\.39: epoch 7 \(1:4 at 7, 4:1 at 7\); \|ln r\| 2\.77: epoch 12/,
    );
  });

  it('does not when a heavier weight joins earlier, and cannot with one size of weight', () => {
    expect(verdict([0.25, 1, 16], (r) => (r === 16 ? 3 : 10))?.verdict).toBe('not reproduced');
    // A size that never settles counts as the latest: consistent with growth.
    expect(verdict([0.25, 1, 16], (r) => (r === 16 ? 40 : 10))?.verdict).toBe('reproduced');
    expect(verdict([0.25, 1, 16], () => 40)?.verdict).toBe('inconclusive');
    const oneSize = verdict([0.25, 1, 4], (r) => (r === 4 ? 4 : 8));
    expect(oneSize).toMatchObject({ verdict: 'inconclusive', evidence: [] });
  });

  it('judges only unregularized cells', () => {
    const [l2] = groupCells(
      weightRuns({
        ratios: [0.25, 1, 16],
        model: { kind: 'mlp', l2: 0.01 },
        curve: curves((r) => (r === 16 ? 3 : 10)),
      }),
    );
    const effect = l2 ? cellEffect(l2) : null;
    expect(effect && evaluatePredictions([effect])[0]?.evidence).toEqual([]);
  });
});

describe('margins (prediction (c))', () => {
  // Normalized margins over 20 evaluations: negative until evaluation 3 (not yet separated), then
  // each weight's approaches 0.3 from its own start, the gap shrinking by `shrink` per step.
  const margins = (shrink: number) => (ratio: number) =>
    Array.from({ length: 20 }, (_, e) =>
      e < 3 ? -0.1 : 0.3 + 0.1 * Math.log(ratio) * shrink ** (e - 3),
    );
  const effectWith = (m: (ratio: number) => number[]) => {
    const [cell] = groupCells(
      weightRuns({
        ratios: [0.25, 1, 4],
        model: { kind: 'logreg' },
        curve: curves(() => 4),
        margins: m,
      }),
    );
    const effect = cell ? cellEffect(cell) : null;
    if (effect === null) throw new Error('no effect');
    return effect;
  };
  const claimOf = (m: (ratio: number) => number[]) =>
    evaluatePredictions([effectWith(m)]).find((c) => c.id === 'margins-converge');

  it('finds when every margin turned positive and how far apart they are', () => {
    const m = marginConvergence(effectWith(margins(0.8)));
    expect(m?.separatedFrom).toBe(3);
    expect(m?.relativeSpread.slice(0, 3)).toEqual([null, null, null]);
    // At evaluation 3: 0.3 ± 0.1·ln 4, mean 0.3: (0.2·ln 4) / 0.3.
    expect(m?.relativeSpread[3]).toBeCloseTo((0.2 * Math.log(4)) / 0.3, 9);
  });

  it('reproduces (c) when the margins end within 10% of one another, and never refutes it', () => {
    const converged = claimOf(margins(0.8));
    expect(converged?.verdict).toBe('reproduced');
    expect(converged?.evidence[0]?.numbers).toMatch(/from 0\.924 at epoch 4/);
    // Still 92% apart at the end: a slow convergence, not a refutation.
    expect(claimOf(margins(1))?.verdict).toBe('inconclusive');
    const unseparated = claimOf((r) =>
      margins(0.8)(r).map((v, e) => (e === 19 && r === 4 ? -0.01 : v)),
    );
    expect(unseparated).toMatchObject({ verdict: 'inconclusive' });
    expect(unseparated?.evidence[0]?.numbers).toMatch(/not separated/);
  });

  it('does not let the seed average hide a run that has not separated', () => {
    // Seeds 1 and 3 converge; seed 2's 4:1 run stays at −0.02 throughout. Averaged, every margin
    // looks positive at the end.
    const runs = [1, 2, 3].flatMap((seed) =>
      weightRuns({
        ratios: [0.25, 1, 4],
        model: { kind: 'logreg' },
        overrides: { seed },
        curve: curves(() => 4),
        margins: (r) => (seed === 2 && r === 4 ? Array(20).fill(-0.02) : margins(0.8)(r)),
      }),
    );
    const [cell] = groupCells(runs);
    const effect = cell ? cellEffect(cell) : null;
    if (effect === null) throw new Error('no effect');
    expect(marginConvergence(effect)?.separatedFrom).toBeNull();
    expect(evaluatePredictions([effect]).find((c) => c.id === 'margins-converge')?.verdict).toBe(
      'inconclusive',
    );
  });

  it('has no evidence from runs that did not record margins', () => {
    const effect = effectOf([0.25, 1, 4], () => 4);
    expect(marginConvergence(effect)).toBeNull();
    expect(
      evaluatePredictions([effect]).find((c) => c.id === 'margins-converge')?.evidence,
    ).toEqual([]);
  });
});
