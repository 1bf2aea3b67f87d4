import { DataError, SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { earlyPeak, settledFrom, weightEffect } from './weight-effect.js';

describe('weightEffect', () => {
  const runs = [
    { weight: 0.25, values: [0.1, 0.4, 0.45, 0.5] },
    { weight: 1, values: [0.5, 0.5, 0.5, 0.5] },
    // Two seeds of weight 4, averaging to [0.9, 0.7, 0.6, 0.5].
    { weight: 4, values: [0.8, 0.6, 0.6, 0.5] },
    { weight: 4, values: [1.0, 0.8, 0.6, 0.5] },
  ];

  it('gives spread, sd and the fraction of the early effect left, by hand', () => {
    const e = weightEffect(runs);
    expect(e.weights).toEqual([0.25, 1, 4]);
    expect(e.meanByWeight[2]?.map((v) => Number(v.toFixed(12)))).toEqual([0.9, 0.7, 0.6, 0.5]);
    const spread = [0.8, 0.3, 0.15, 0];
    for (const [i, s] of e.spread.entries()) expect(s).toBeCloseTo(spread[i] as number, 12);
    expect(e.sd[0]).toBeCloseTo(Math.sqrt((0.16 + 0 + 0.16) / 3), 12);
    expect(e.sd[3]).toBe(0);
    // Highest weight (4) minus lowest (0.25): [0.9 − 0.1, 0.7 − 0.4, 0.6 − 0.45, 0.5 − 0.5].
    for (const [i, c] of [0.8, 0.3, 0.15, 0].entries()) expect(e.contrast[i]).toBeCloseTo(c, 12);
    expect(e.earlyEpochs).toBe(1);
    expect(e.earlyMax).toBeCloseTo(0.8, 12);
    expect(e.earlyMaxEpoch).toBe(0);
    for (const [i, f] of [1, 0.375, 0.1875, 0].entries()) {
      expect(e.fractionLeft?.[i]).toBeCloseTo(f, 12);
    }
  });

  it('gives a signed contrast that is negative when the weights push the wrong way, where the spread is not', () => {
    const e = weightEffect([
      { weight: 0.25, values: [0.7, 0.52] },
      { weight: 1, values: [0.5, 0.45] },
      { weight: 4, values: [0.3, 0.5] },
    ]);
    expect(e.contrast[0]).toBeCloseTo(-0.4, 12);
    expect(e.contrast[1]).toBeCloseTo(-0.02, 12);
    expect(e.spread[0]).toBeCloseTo(0.4, 12);
    // The middle weight's noise sets the spread at epoch 1; the contrast ignores it.
    expect(e.spread[1]).toBeCloseTo(0.07, 12);
  });

  it('measures each weight against the reference weight', () => {
    const e = weightEffect(runs);
    expect(e.referenceWeight).toBe(1);
    const expected = [
      [0.4, 0.1, 0.05, 0],
      [0, 0, 0, 0],
      [0.4, 0.2, 0.1, 0],
    ];
    for (const [w, row] of expected.entries()) {
      for (const [i, v] of row.entries()) expect(e.deviation?.[w]?.[i]).toBeCloseTo(v, 12);
    }
    expect(weightEffect(runs, { referenceWeight: 4 }).deviation?.[0]?.[0]).toBeCloseTo(0.8, 12);
    expect(() => weightEffect(runs, { referenceWeight: 2 })).toThrow(/referenceWeight/);
    const noUnit = weightEffect([
      { weight: 2, values: [0] },
      { weight: 3, values: [1] },
    ]);
    expect(noUnit.deviation).toBeNull();
  });

  it('finds where a series settles below a threshold for good', () => {
    expect(settledFrom([0.4, 0.1, 0.05, 0], 0.1)).toBe(1);
    expect(settledFrom([0.4, 0.05, 0.2, 0.01], 0.1)).toBe(3);
    expect(settledFrom([0.05, 0.01], 0.1)).toBe(0);
    expect(settledFrom([0.05, 0.3], 0.1)).toBeNull();
    expect(settledFrom([], 0.1)).toBeNull();
  });

  it('takes the early maximum over the first earlyEpochs entries only', () => {
    const e = weightEffect(
      [
        { weight: 1, values: [0, 0, 0, 0] },
        { weight: 2, values: [0.2, 0.4, 0.1, 0.8] },
      ],
      { earlyEpochs: 2 },
    );
    expect(e.earlyMax).toBeCloseTo(0.4, 12);
    expect(e.earlyMaxEpoch).toBe(1);
    expect(e.fractionLeft?.[3]).toBeCloseTo(2, 12);
  });

  it('has no fraction left when there was no early effect', () => {
    const e = weightEffect([
      { weight: 1, values: [0.5, 0.5] },
      { weight: 2, values: [0.5, 0.6] },
    ]);
    expect(e.earlyMax).toBe(0);
    expect(e.fractionLeft).toBeNull();
  });

  it('rejects ragged, non-finite or single-weight input, naming run and epoch', () => {
    expect(() =>
      weightEffect([
        { weight: 1, values: [1, 2] },
        { weight: 2, values: [1] },
      ]),
    ).toThrow(/runs\[1\]\.values/);
    expect(() =>
      weightEffect([
        { weight: 1, values: [1, 2] },
        { weight: 2, values: [1, Number.NaN] },
      ]),
    ).toThrow(DataError);
    expect(() =>
      weightEffect([
        { weight: 1, values: [1, 2] },
        { weight: 2, values: [1, Number.NaN] },
      ]),
    ).toThrow(/runs\[1\]\.values\[1\], epoch 1/);
    expect(() =>
      weightEffect([
        { weight: 1, values: [1] },
        { weight: 1, values: [2] },
      ]),
    ).toThrow(SpecError);
    expect(() => weightEffect(runs, { earlyEpochs: 5 })).toThrow(/earlyEpochs/);
  });
});

describe('earlyPeak', () => {
  it('takes the largest of the first entries, at its first index, and refuses a bad window', () => {
    expect(earlyPeak([0.1, 0.3, 0.3, 0.9], 3)).toEqual({ value: 0.3, index: 1 });
    expect(earlyPeak([-0.2, -0.5], 1)).toEqual({ value: -0.2, index: 0 });
    expect(() => earlyPeak([0.1, 0.2], 3)).toThrow(/window|\[1, 2\]/);
    expect(() => earlyPeak([0.1], 0)).toThrow(SpecError);
  });
});
