import { Rng, WeightsError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { balancedSubsampleIndices, resampleIndices, undersampleIndices } from './samplers.js';

describe('samplers', () => {
  it('resamples with probability proportional to the weights', () => {
    const idx = resampleIndices([1, 0, 3], 40000, Rng.fromSeed(5));
    const freq = [0, 0, 0];
    for (const i of idx) freq[i]! += 1;
    expect(freq[1]).toBe(0);
    expect(freq[0]! / 40000).toBeCloseTo(0.25, 2);
    expect(freq[2]! / 40000).toBeCloseTo(0.75, 2);
  });

  it('undersamples by rejection: about n_min per class with w = 1/n', () => {
    const labels = Int32Array.from({ length: 1100 }, (_, i) => (i < 1000 ? 0 : 1));
    const w = Array.from(labels, (c) => (c === 0 ? 1 / 1000 : 1 / 100));
    const kept = undersampleIndices(w, 9);
    const minority = kept.filter((i) => i >= 1000).length;
    expect(minority).toBe(100);
    const majority = kept.length - minority;
    expect(majority).toBeGreaterThan(70);
    expect(majority).toBeLessThan(130);
    expect(undersampleIndices(w, 9)).toEqual(kept);
  });

  it('subsamples every class to the smallest one (SUBY)', () => {
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 2, 2, 2]);
    const kept = balancedSubsampleIndices(labels, 3, 1);
    const counts = [0, 0, 0];
    for (const i of kept) counts[labels[i]!]! += 1;
    expect(counts).toEqual([2, 2, 2]);
    expect(Array.from(kept)).toEqual([...kept].sort((a, b) => a - b));
  });

  it('rejects invalid weights', () => {
    expect(() => resampleIndices([0, 0], 3, Rng.fromSeed(1))).toThrow(WeightsError);
    expect(() => undersampleIndices([1, Number.NaN], 1)).toThrow(/weights\[1\]/);
  });
});
