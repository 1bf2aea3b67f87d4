import { describe, expect, it } from 'vitest';
import { WeightsError } from './errors.js';
import { assertValidWeights } from './weights.js';

describe('assertValidWeights', () => {
  it('accepts non-negative finite weights with a positive sum', () => {
    expect(() => assertValidWeights([0, 1, 2.5])).not.toThrow();
  });
  it.each([
    [[1, -1], /weights\[1\].*>= 0/],
    [[1, Number.NaN], /weights\[1\].*NaN/],
    [[Number.POSITIVE_INFINITY], /weights\[0\].*finite/],
    [[0, 0, 0], /all 3 weights are zero/],
    [[], /empty/],
  ])('rejects %j', (w, msg) => {
    expect(() => assertValidWeights(w)).toThrow(WeightsError);
    expect(() => assertValidWeights(w)).toThrow(msg);
  });
  it('names the source in the message', () => {
    expect(() => assertValidWeights([-1], 'spec.weights')).toThrow(/spec\.weights\[0\]/);
  });
});
