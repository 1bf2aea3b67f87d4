// Importance weights as plain numbers: per class (length K) or per example (length N). Every
// function validates what it returns, so a NaN or all-zero vector is caught where it is made,
// not epochs later as a diverged run.
import { assertValidWeights, SpecError, WeightsError } from '@iwlab/core';

function checkCounts(counts: readonly number[], field = 'classCounts'): number {
  if (counts.length === 0) throw new SpecError('class counts are empty', { field });
  let total = 0;
  counts.forEach((n, c) => {
    if (!Number.isInteger(n) || n < 0) {
      throw new SpecError(`count is ${n}; expected a non-negative integer`, {
        field: `${field}[${c}]`,
      });
    }
    total += n;
  });
  if (total === 0) throw new SpecError('all class counts are zero', { field });
  return total;
}

function requirePresent(counts: readonly number[], what: string): void {
  counts.forEach((n, c) => {
    if (n === 0) {
      throw new WeightsError(`class ${c} has no training examples, so its ${what} is undefined`, {
        field: `classCounts[${c}]`,
      });
    }
  });
}

function validated<T extends number[]>(w: T, source: string): T {
  assertValidWeights(w, source);
  return w;
}

/**
 * Byrd & Lipton's fixed ratio for two classes: w[1] / w[0] = `ratio`, the smaller weight 1
 * (reference A.7: the larger class weight is r or 1/r, the other 1).
 */
export function ratioClassWeights(ratio: number): [number, number] {
  if (!Number.isFinite(ratio) || ratio <= 0) {
    throw new WeightsError(`ratio is ${ratio}; expected a finite number > 0`, { field: 'ratio' });
  }
  return ratio >= 1 ? [1, ratio] : [1 / ratio, 1];
}

/** The paper's grid of weight ratios: 4^k for k = -4..4, i.e. 1/256 ... 256. */
export const PAPER_WEIGHT_RATIOS: readonly number[] = Array.from(
  { length: 9 },
  (_, i) => 4 ** (i - 4),
);

/** w_c = N / (K n_c): inverse class frequency, already mean 1 over the training set. */
export function inverseFrequencyWeights(counts: readonly number[]): number[] {
  const total = checkCounts(counts);
  requirePresent(counts, 'inverse frequency');
  return validated(
    counts.map((n) => total / (counts.length * n)),
    'inverseFrequencyWeights',
  );
}

/**
 * Class-balanced weights of Cui et al. (reference B.9): w_c ∝ (1 − β) / (1 − β^{n_c}), scaled so
 * Σ_c w_c = K. β = 0 gives equal weights; β → 1 tends to inverse frequency.
 */
export function effectiveNumberWeights(counts: readonly number[], beta: number): number[] {
  checkCounts(counts);
  if (!(beta >= 0 && beta < 1)) {
    throw new SpecError(`beta is ${beta}; expected 0 <= beta < 1`, { field: 'beta' });
  }
  requirePresent(counts, 'effective number');
  // 1 − β^n via expm1/log1p keeps precision when β is close to 1 and n is small.
  const raw = counts.map((n) =>
    beta === 0 ? 1 : (1 - beta) / -Math.expm1(n * Math.log1p(-(1 - beta))),
  );
  const sum = raw.reduce((a, b) => a + b, 0);
  return validated(
    raw.map((w) => (w / sum) * counts.length),
    'effectiveNumberWeights',
  );
}

/**
 * Density ratio q(y) / p(y) for a target label distribution q (normalized here if it does not
 * sum to 1) against the training distribution p(y) = n_y / N.
 */
export function densityRatioWeights(
  counts: readonly number[],
  target: readonly number[],
): number[] {
  const total = checkCounts(counts);
  if (target.length !== counts.length) {
    throw new SpecError(
      `target distribution has ${target.length} entries, expected one per class (${counts.length})`,
      { field: 'target' },
    );
  }
  assertValidWeights(target, 'target');
  const tSum = target.reduce((a, b) => a + b, 0);
  const w = counts.map((n, c) => {
    const q = (target[c] as number) / tSum;
    if (n === 0) {
      if (q === 0) return 0;
      throw new WeightsError(
        `class ${c} has target probability ${q} but no training examples; q/p is infinite`,
        { field: `classCounts[${c}]` },
      );
    }
    return q / (n / total);
  });
  return validated(w, 'densityRatioWeights');
}

/** Scales class weights so the mean weight over the training set, Σ n_c w_c / N, is 1. */
export function normalizeClassWeights(
  classWeights: readonly number[],
  counts: readonly number[],
): number[] {
  const total = checkCounts(counts);
  if (classWeights.length !== counts.length) {
    throw new SpecError(`${classWeights.length} class weights for ${counts.length} classes`, {
      field: 'classWeights',
    });
  }
  assertValidWeights(classWeights, 'classWeights');
  const mean = classWeights.reduce((s, w, c) => s + w * (counts[c] as number), 0) / total;
  if (mean === 0) {
    throw new WeightsError('every class that has training examples has weight 0', {
      field: 'classWeights',
    });
  }
  return validated(
    classWeights.map((w) => w / mean),
    'normalizeClassWeights',
  );
}

/** Scales per-example weights to mean 1. */
export function normalizeExampleWeights(weights: ArrayLike<number>): Float32Array {
  assertValidWeights(weights, 'exampleWeights');
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i] as number;
  const scale = weights.length / sum;
  const out = new Float32Array(weights.length);
  for (let i = 0; i < weights.length; i++) out[i] = (weights[i] as number) * scale;
  return out;
}

/** w^k, element-wise: k > 1 sharpens the weights, 0 < k < 1 softens them, k = 0 removes them. */
export function powerWeights(weights: readonly number[], k: number): number[] {
  if (!Number.isFinite(k)) {
    throw new SpecError(`exponent is ${k}; expected a finite number`, { field: 'exponent' });
  }
  assertValidWeights(weights, 'weights');
  return validated(
    weights.map((w) => (w === 0 && k <= 0 ? 0 : w ** k)),
    'powerWeights',
  );
}

/**
 * Per-example weights w(y_i) from class weights. Examples labelled -1 (no class in this task)
 * get weight 0; any other label outside the class range is an error.
 */
export function exampleWeightsFromClasses(
  classWeights: readonly number[],
  y: ArrayLike<number>,
): Float32Array {
  assertValidWeights(classWeights, 'classWeights');
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const c = y[i] as number;
    if (c === -1) continue;
    const w = classWeights[c];
    if (w === undefined || !Number.isInteger(c)) {
      throw new SpecError(`label ${c} has no class weight (${classWeights.length} classes)`, {
        field: `y[${i}]`,
      });
    }
    out[i] = w;
  }
  assertValidWeights(out, 'exampleWeights');
  return out;
}

/** A declarative weight scheme, as stored in an experiment spec. */
export type ClassWeightSpec =
  | { readonly kind: 'uniform' }
  | { readonly kind: 'ratio'; readonly ratio: number }
  | { readonly kind: 'inverse-frequency' }
  | { readonly kind: 'effective-number'; readonly beta: number }
  | { readonly kind: 'density-ratio'; readonly target: readonly number[] }
  | { readonly kind: 'explicit'; readonly weights: readonly number[] };

export interface ClassWeightOptions {
  /** Raise every weight to this power before normalizing (default 1). */
  readonly exponent?: number;
  /** Rescale so the mean weight over the training set is 1 (default false). */
  readonly normalize?: boolean;
}

/** Class weights for `spec` and the training-set class counts, then w^k, then normalization. */
export function classWeights(
  spec: ClassWeightSpec,
  counts: readonly number[],
  options: ClassWeightOptions = {},
): number[] {
  let w: number[];
  switch (spec.kind) {
    case 'uniform':
      w = counts.map(() => 1);
      break;
    case 'ratio':
      if (counts.length !== 2) {
        throw new SpecError(`a weight ratio needs 2 classes, the data has ${counts.length}`, {
          field: 'weights.kind',
        });
      }
      w = ratioClassWeights(spec.ratio);
      break;
    case 'inverse-frequency':
      w = inverseFrequencyWeights(counts);
      break;
    case 'effective-number':
      w = effectiveNumberWeights(counts, spec.beta);
      break;
    case 'density-ratio':
      w = densityRatioWeights(counts, spec.target);
      break;
    case 'explicit':
      if (spec.weights.length !== counts.length) {
        throw new SpecError(`${spec.weights.length} class weights for ${counts.length} classes`, {
          field: 'weights.weights',
        });
      }
      assertValidWeights(spec.weights, 'weights.weights');
      w = [...spec.weights];
      break;
    default:
      throw new SpecError(`unknown weight scheme "${String((spec as { kind: unknown }).kind)}"`, {
        field: 'weights.kind',
      });
  }
  if (options.exponent !== undefined && options.exponent !== 1) {
    w = powerWeights(w, options.exponent);
  }
  return options.normalize === true ? normalizeClassWeights(w, counts) : w;
}
