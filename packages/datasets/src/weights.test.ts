import { WeightsError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import {
  classWeights,
  densityRatioWeights,
  effectiveNumberWeights,
  exampleWeightsFromClasses,
  inverseFrequencyWeights,
  normalizeClassWeights,
  normalizeExampleWeights,
  PAPER_WEIGHT_RATIOS,
  powerWeights,
  ratioClassWeights,
} from './weights.js';

// Reference B.17: class counts n = [4000, 400].
const counts = [4000, 400];

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    expect(actual[i]).toBeCloseTo(e, digits);
  });
}

describe('class weights', () => {
  it.each([
    [0.9, [1, 1]],
    [0.99, [0.990943, 1.009057]],
    [0.999, [0.502944, 1.497056]],
    [0.9999, [0.212588, 1.787412]],
  ])('effective number with beta %s matches reference B.17', (beta, expected) => {
    expectClose(effectiveNumberWeights(counts, beta), expected);
  });

  it('gives equal weights for beta 0 and sums to K', () => {
    expect(effectiveNumberWeights([10, 1, 5], 0)).toEqual([1, 1, 1]);
    const w = effectiveNumberWeights([10, 1, 5], 0.5);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(3, 12);
  });

  it('inverse frequency is [0.55, 5.5], mean 1 over the training set (B.17)', () => {
    const w = inverseFrequencyWeights(counts);
    expectClose(w, [0.55, 5.5], 12);
    expect((w[0]! * 4000 + w[1]! * 400) / 4400).toBeCloseTo(1, 12);
  });

  it('fixed ratios: the smaller weight is 1, and the paper grid is 1/256..256', () => {
    expect(ratioClassWeights(4)).toEqual([1, 4]);
    expect(ratioClassWeights(1 / 16)).toEqual([16, 1]);
    expect(PAPER_WEIGHT_RATIOS[0]).toBe(1 / 256);
    expect(PAPER_WEIGHT_RATIOS[8]).toBe(256);
    expect(PAPER_WEIGHT_RATIOS).toHaveLength(9);
  });

  it('density ratio q/p for a target distribution', () => {
    // p = [0.9091, 0.0909]; q = [0.5, 0.5] → [0.55, 5.5], the same as inverse frequency.
    expectClose(densityRatioWeights(counts, [0.5, 0.5]), [0.55, 5.5], 12);
    expectClose(densityRatioWeights([10, 30], [3, 1]), [3, 1 / 3], 12);
  });

  it('normalizes to mean 1 over the training set and raises to a power', () => {
    expectClose(normalizeClassWeights([1, 10], counts), [4400 / 8000, 44000 / 8000], 12);
    expect(powerWeights([4, 9], 0.5)).toEqual([2, 3]);
    expect(powerWeights([4, 9], 0)).toEqual([1, 1]);
    const spec = classWeights({ kind: 'ratio', ratio: 16 }, [100, 100], {
      exponent: 0.5,
      normalize: true,
    });
    expectClose(spec, [0.4, 1.6], 12);
  });

  it('turns class weights into per-example weights, 0 for label -1', () => {
    expect(Array.from(exampleWeightsFromClasses([1, 4], [0, 1, 1, -1]))).toEqual([1, 4, 4, 0]);
    expect(() => exampleWeightsFromClasses([1, 4], [0, 2])).toThrow(/y\[1\].*label 2/);
    const w = normalizeExampleWeights([1, 3]);
    expect(Array.from(w)).toEqual([0.5, 1.5]);
  });

  it.each([
    ['negative', () => normalizeExampleWeights([1, -2]), /exampleWeights\[1\].*>= 0/],
    ['NaN', () => exampleWeightsFromClasses([1, Number.NaN], [0]), /classWeights\[1\].*NaN/],
    ['all-zero', () => normalizeClassWeights([0, 0], [3, 4]), /all 2 weights are zero/],
    ['all-zero examples', () => exampleWeightsFromClasses([0, 1], [0, 0]), /all 2 weights/],
    ['zero ratio', () => ratioClassWeights(0), /ratio/],
    ['NaN power', () => powerWeights([1, Number.NaN], 2), /NaN/],
    ['empty class', () => inverseFrequencyWeights([5, 0]), /classCounts\[1\].*no training/],
    ['infinite q/p', () => densityRatioWeights([5, 0], [0.5, 0.5]), /classCounts\[1\]/],
  ])('rejects %s weights with a WeightsError naming the field', (_, make, message) => {
    expect(make).toThrow(WeightsError);
    expect(make).toThrow(message);
  });

  it('rejects a bad beta and unknown schemes, naming the field', () => {
    expect(() => effectiveNumberWeights(counts, 1)).toThrow(/beta/);
    expect(() => classWeights({ kind: 'nope' } as never, counts)).toThrow(/weights\.kind/);
    expect(() => classWeights({ kind: 'ratio', ratio: 2 }, [1, 2, 3])).toThrow(/2 classes/);
  });
});
