// Sampling as the alternative to weighting (reference B.12): instead of multiplying the loss by
// w_i, change how often example i is seen.
import { assertValidWeights, Rng, SpecError } from '@iwlab/core';
import { indicesByClass } from './dataset.js';

/**
 * Importance resampling: `count` indices drawn with replacement, P(i) ∝ w_i (as
 * `torch.multinomial(w, count, replacement=True)`).
 */
export function resampleIndices(weights: ArrayLike<number>, count: number, rng: Rng): Int32Array {
  assertValidWeights(weights, 'weights');
  if (!Number.isInteger(count) || count < 0) {
    throw new SpecError(`count is ${count}; expected an integer >= 0`, { field: 'count' });
  }
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] as number;
    cumulative[i] = sum;
  }
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const u = rng.float() * sum;
    // First index whose cumulative weight exceeds u; zero-weight examples are never chosen.
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    out[k] = lo;
  }
  return out;
}

/**
 * Undersampling, "importance weighting by rejection": keeps example i with probability
 * w_i / max_j w_j. With w = 1/n_class every class shrinks to about the smallest one.
 */
export function undersampleIndices(weights: ArrayLike<number>, seed: number): Int32Array {
  assertValidWeights(weights, 'weights');
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, weights[i] as number);
  const rng = Rng.fromSeed(seed);
  const kept: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    if (rng.float() < (weights[i] as number) / max) kept.push(i);
  }
  return Int32Array.from(kept);
}

/**
 * The deterministic alternative (SUBY, or SUBG when given group ids): every class keeps a seeded
 * random subset of the size of the smallest non-empty class. Indices ascending.
 */
export function balancedSubsampleIndices(
  labels: Int32Array,
  numClasses: number,
  seed: number,
): Int32Array {
  const byClass = indicesByClass(labels, numClasses).filter((m) => m.length > 0);
  if (byClass.length === 0) {
    throw new SpecError('no example has a class label', { field: 'labels' });
  }
  const size = Math.min(...byClass.map((m) => m.length));
  const kept: number[] = [];
  byClass.forEach((members, c) => {
    for (const j of Rng.derive(seed, c).sampleWithoutReplacement(members.length, size)) {
      kept.push(members[j] as number);
    }
  });
  return Int32Array.from(kept).sort();
}
