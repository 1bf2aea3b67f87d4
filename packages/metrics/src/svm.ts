// Hard-margin linear SVM: the max-margin separator that gradient descent on separable data turns
// towards (reference A.3's dashed reference line, B.14). Solved in the dual,
//     min_α ½ Σ_ij α_i α_j y_i y_j ⟨x_i, x_j⟩ − Σ_i α_i   s.t.  Σ_i y_i α_i = 0, α ≥ 0,
// by SMO with second-order working-set selection (Fan, Chen & Lin 2005) and no upper bound on α.
// Plain arrays on the CPU: meant for the small sets where a reference direction is needed.
// Kernel rows are computed on demand, so memory is O(n·d).
import { DataError, SpecError } from '@iwlab/core';

export interface MaxMarginOptions {
  /** Stop when the largest KKT violation, in functional-margin units, is below this (1e-9). */
  readonly tolerance?: number;
  /** Give up after this many SMO steps (default 100,000 + 100·n). */
  readonly maxIterations?: number;
  /**
   * Smallest geometric margin, relative to the data's radius around its mean, that still counts
   * as separable (default 1e-6). Below it the dual is treated as unbounded.
   */
  readonly minRelativeMargin?: number;
}

export interface MaxMarginSeparator {
  /** w of the separator w·x + b = 0, scaled so the closest points have |w·x + b| = 1. */
  readonly weights: number[];
  readonly bias: number;
  /** Geometric margin 1/‖w‖: the distance from the boundary to the closest points. */
  readonly margin: number;
  /** Indices of the points with α_i > 0, the support vectors. */
  readonly supportVectors: number[];
  readonly iterations: number;
}

/**
 * The max-margin separator of `points` (n × d) with `labels` in {0, 1} or {−1, +1} (0 and −1 are
 * the negative class). Throws DataError when the set is not linearly separable (or only with a
 * margin below `minRelativeMargin`), and SpecError for malformed input.
 */
export function maxMarginSeparator(
  points: readonly (readonly number[])[],
  labels: readonly number[],
  options: MaxMarginOptions = {},
): MaxMarginSeparator {
  const { x, y, d } = checkInput(points, labels);
  const n = x.length;
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 100_000 + 100 * n;
  const minRelativeMargin = options.minRelativeMargin ?? 1e-6;
  const radius = dataRadius(x, d);
  const notSeparable = (why: string) =>
    new DataError(
      `the ${n} points are not linearly separable (${why}); a hard-margin SVM needs a separable set`,
      { field: 'points' },
    );
  if (radius === 0) throw notSeparable('all points coincide');
  // The dual objective −f(α) is at most ½‖w*‖² = 1/(2γ²); past this bound the margin would be
  // below minRelativeMargin · radius.
  const dualBound = 0.5 / (minRelativeMargin * radius) ** 2;

  const alpha = new Float64Array(n);
  const grad = new Float64Array(n).fill(-1); // G = Qα − 1
  const dot = (i: number, j: number) => {
    const a = x[i] as number[];
    const b = x[j] as number[];
    let s = 0;
    for (let k = 0; k < d; k++) s += (a[k] as number) * (b[k] as number);
    return s;
  };
  const diag = Float64Array.from({ length: n }, (_, i) => dot(i, i));
  const tiny = 1e-12;

  let iterations = 0;
  for (; ; iterations++) {
    // i: the most violating index that may move "up"; j: second-order choice among "low" ones.
    let i = -1;
    let gMax = Number.NEGATIVE_INFINITY;
    let gMin = Number.POSITIVE_INFINITY;
    for (let t = 0; t < n; t++) {
      const yt = y[t] as number;
      const v = -yt * (grad[t] as number);
      if ((yt === 1 || (alpha[t] as number) > 0) && v > gMax) {
        gMax = v;
        i = t;
      }
    }
    let j = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let t = 0; t < n; t++) {
      const yt = y[t] as number;
      if (!(yt === -1 || (alpha[t] as number) > 0)) continue;
      const v = -yt * (grad[t] as number);
      gMin = Math.min(gMin, v);
      const b = gMax - v;
      if (b > 0) {
        const a = Math.max((diag[i] as number) + (diag[t] as number) - 2 * dot(i, t), tiny);
        const score = -(b * b) / a;
        if (score < best) {
          best = score;
          j = t;
        }
      }
    }
    if (gMax - gMin < tolerance || j === -1) break;
    if (iterations >= maxIterations) {
      throw notSeparable(`no convergence in ${maxIterations} iterations`);
    }
    step(i, j, y, alpha, grad, diag, dot, n, tiny);
    if (iterations % 64 === 0 && dualObjective(alpha, grad) > dualBound) {
      throw notSeparable(`margin below ${minRelativeMargin} of the data radius`);
    }
  }

  const weights = new Array<number>(d).fill(0);
  const supportVectors: number[] = [];
  let biasSum = 0;
  for (let t = 0; t < n; t++) {
    const a = alpha[t] as number;
    if (a <= 0) continue;
    supportVectors.push(t);
    const yt = y[t] as number;
    (x[t] as number[]).forEach((v, k) => {
      weights[k] = (weights[k] as number) + a * yt * v;
    });
    // On a support vector y_t(w·x_t + b) = 1, i.e. b = −y_t G_t.
    biasSum += -yt * (grad[t] as number);
  }
  const bias = biasSum / supportVectors.length;
  const norm = Math.hypot(...weights);
  // Guard against accepting a non-separable set whose dual happened to stall.
  for (let t = 0; t < n; t++) {
    let f = bias;
    (x[t] as number[]).forEach((v, k) => {
      f += (weights[k] as number) * v;
    });
    if ((y[t] as number) * f < 1 - 1e-6) throw notSeparable(`point ${t} is on the wrong side`);
  }
  return { weights, bias, margin: 1 / norm, supportVectors, iterations };
}

function step(
  i: number,
  j: number,
  y: number[],
  alpha: Float64Array,
  grad: Float64Array,
  diag: Float64Array,
  dot: (a: number, b: number) => number,
  n: number,
  tiny: number,
): void {
  const yi = y[i] as number;
  const yj = y[j] as number;
  const kij = dot(i, j);
  const oldI = alpha[i] as number;
  const oldJ = alpha[j] as number;
  const quad = Math.max((diag[i] as number) + (diag[j] as number) - 2 * kij, tiny);
  let ai: number;
  let aj: number;
  if (yi !== yj) {
    // y_i α_i + y_j α_j fixed: both move by the same δ.
    const delta = (-(grad[i] as number) - (grad[j] as number)) / quad;
    const diff = oldI - oldJ;
    ai = oldI + delta;
    aj = oldJ + delta;
    if (diff > 0 && aj < 0) [ai, aj] = [diff, 0];
    else if (diff <= 0 && ai < 0) [ai, aj] = [0, -diff];
  } else {
    // α_i + α_j fixed.
    const delta = ((grad[i] as number) - (grad[j] as number)) / quad;
    const sum = oldI + oldJ;
    ai = oldI - delta;
    aj = oldJ + delta;
    if (aj < 0) [ai, aj] = [sum, 0];
    if (ai < 0) [ai, aj] = [0, sum];
  }
  alpha[i] = ai;
  alpha[j] = aj;
  const dI = (ai - oldI) * yi;
  const dJ = (aj - oldJ) * yj;
  for (let t = 0; t < n; t++) {
    const yt = y[t] as number;
    grad[t] = (grad[t] as number) + yt * (dI * dot(t, i) + dJ * dot(t, j));
  }
}

/** −f(α) = Σα − ½αᵀQα = −½ Σ α_t (G_t − 1). */
function dualObjective(alpha: Float64Array, grad: Float64Array): number {
  let s = 0;
  for (let t = 0; t < alpha.length; t++) s += (alpha[t] as number) * ((grad[t] as number) - 1);
  return -0.5 * s;
}

function dataRadius(x: number[][], d: number): number {
  const mean = new Array<number>(d).fill(0);
  for (const p of x) {
    p.forEach((v, k) => {
      mean[k] = (mean[k] as number) + v / x.length;
    });
  }
  let r = 0;
  for (const p of x) r = Math.max(r, Math.hypot(...p.map((v, k) => v - (mean[k] as number))));
  return r;
}

function checkInput(points: readonly (readonly number[])[], labels: readonly number[]) {
  if (points.length !== labels.length) {
    throw new SpecError(`${points.length} points but ${labels.length} labels`, { field: 'labels' });
  }
  const d = points[0]?.length ?? 0;
  if (d === 0)
    throw new SpecError('needs at least one point with at least one coordinate', {
      field: 'points',
    });
  const x = points.map((p, i) => {
    if (p.length !== d) {
      throw new SpecError(`has ${p.length} coordinates, expected ${d}`, { field: `points[${i}]` });
    }
    p.forEach((v, k) => {
      if (!Number.isFinite(v)) {
        throw new SpecError(`is ${v}; coordinates must be finite`, { field: `points[${i}][${k}]` });
      }
    });
    return [...p];
  });
  const y = labels.map((l, i) => {
    if (l === 1) return 1;
    if (l === 0 || l === -1) return -1;
    throw new SpecError(`is ${l}; labels must be 0/1 or -1/+1`, { field: `labels[${i}]` });
  });
  if (!y.includes(1) || !y.includes(-1)) {
    throw new SpecError('needs points of both classes', { field: 'labels' });
  }
  return { x, y, d };
}
