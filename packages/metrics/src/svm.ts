// Hard-margin linear SVM: the max-margin separator that gradient descent on separable data turns
// towards (reference A.3's dashed reference line, B.14).
//
// Solved in its geometric form: the max-margin separator is the perpendicular bisector of the
// shortest segment between the convex hulls of the two classes, and its margin is half that
// segment's length. We find the nearest points p ∈ hull(+), q ∈ hull(−) by pairwise Frank-Wolfe
// (the Mitchell-Dem'yanov-Malozemov step: move weight between two points of one class, with
// exact line search). Every iterate z = p − q gives two bounds on the hull distance D:
//     upper  U = ‖z‖,    lower  L = (min_{x∈+} u·x − max_{x∈−} u·x),  u = z/‖z‖,
// and L > 0 proves the set separable (u separates it with margin L/2). We stop when
// U − L ≤ tolerance·U; the returned margin is L/2, so it is attained, not just estimated.
// Unlike the SVM dual, this problem is bounded, so non-separable input ends too: U falls below
// `minRelativeMargin` of the data radius. Plain arrays on the CPU, O(n·d) per step: meant for the
// small sets where a reference direction is needed.
import { DataError, SpecError } from '@iwlab/core';

export interface MaxMarginOptions {
  /** Stop when the relative gap (U − L)/U between the distance bounds is at most this (1e-9). */
  readonly tolerance?: number;
  /** Give up after this many steps (default 200,000). */
  readonly maxIterations?: number;
  /**
   * Hulls closer than this fraction of the data's radius (around its mean) count as touching:
   * the set is reported as not separable (default 1e-9).
   */
  readonly minRelativeMargin?: number;
  /**
   * Default true: w·x + b with a free bias. False: a separator through the origin, w·x = 0 (the
   * margin is then the distance from the origin to the hull of the points y_i·x_i). Gradient
   * descent on a model *with* a bias converges to the separator of the augmented points (x, 1)
   * through the origin (the bias is just one more weight), so compare such a model's (w, b) with
   * `maxMarginSeparator(points.map((p) => [...p, 1]), labels, { bias: false })`.
   */
  readonly bias?: boolean;
}

export interface MaxMarginSeparator {
  /** w of the separator w·x + b = 0, scaled so the closest points have |w·x + b| = 1. */
  readonly weights: number[];
  readonly bias: number;
  /** Geometric margin 1/‖w‖: the distance from the boundary to the closest points. */
  readonly margin: number;
  /** Relative gap (U − L)/U at the end: the margin is within this fraction of the optimum. */
  readonly relativeGap: number;
  /** Indices of the points carrying weight in the nearest hull points (the support vectors). */
  readonly supportVectors: number[];
  readonly iterations: number;
}

/**
 * The max-margin separator of `points` (n × d) with `labels` in {0, 1} or {−1, +1} (0 and −1 are
 * the negative class). Throws DataError when the set is not linearly separable (or only with a
 * margin below `minRelativeMargin` of the data radius, or not provably separable within
 * `maxIterations`), and SpecError for malformed input.
 */
export function maxMarginSeparator(
  points: readonly (readonly number[])[],
  labels: readonly number[],
  options: MaxMarginOptions = {},
): MaxMarginSeparator {
  const input = checkInput(points, labels);
  const withBias = options.bias ?? true;
  // Through the origin: the positives become the points y_i·x_i and the negatives the origin
  // alone; the nearest hull points then give the direction, and the margin is the full distance.
  const { x, y, d } = withBias ? input : reflectAgainstOrigin(input);
  const n = y.length;
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 200_000;
  const minRelativeMargin = options.minRelativeMargin ?? 1e-9;
  const radius = dataRadius(x, n, d);
  const notSeparable = (why: string) =>
    new DataError(
      `the ${input.y.length} points are not linearly separable${withBias ? '' : ' through the origin'} ` +
        `(${why}); a hard-margin SVM needs a separable set`,
      { field: 'points' },
    );
  if (radius === 0) throw notSeparable('all points coincide');

  // λ: convex weights within each class; z = Σ_{+} λ_i x_i − Σ_{−} λ_i x_i.
  const lambda = new Float64Array(n);
  const start = startingPair(x, y, n, d);
  lambda[start[0]] = 1;
  lambda[start[1]] = 1;
  const z = new Float64Array(d);
  for (const i of start)
    for (let k = 0; k < d; k++)
      z[k] = (z[k] as number) + (y[i] as number) * (x[i * d + k] as number);
  const proj = new Float64Array(n);
  const project = () => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (z[k] as number) * (x[i * d + k] as number);
      proj[i] = s;
    }
  };

  let iterations = 0;
  let upper = 0;
  let lower = 0;
  for (; ; iterations++) {
    project();
    let zz = 0;
    for (let k = 0; k < d; k++) zz += (z[k] as number) ** 2;
    upper = Math.sqrt(zz);
    if (upper <= minRelativeMargin * radius) {
      throw notSeparable(`the class hulls touch: distance ${upper.toExponential(2)}`);
    }
    // Per class: the "toward" point (smallest y·z·x: pulls the hull point towards the other hull)
    // and the "away" point (largest y·z·x among points with weight).
    const toward = [-1, -1];
    const away = [-1, -1];
    for (let i = 0; i < n; i++) {
      const c = (y[i] as number) === 1 ? 0 : 1;
      const g = (y[i] as number) * (proj[i] as number);
      const t = toward[c] as number;
      if (t < 0 || g < (y[t] as number) * (proj[t] as number)) toward[c] = i;
      const a = away[c] as number;
      if ((lambda[i] as number) > 0 && (a < 0 || g > (y[a] as number) * (proj[a] as number)))
        away[c] = i;
    }
    const [tp, tn] = toward as [number, number];
    lower = ((proj[tp] as number) - (proj[tn] as number)) / upper;
    if (upper - lower <= tolerance * upper) break;
    if (iterations >= maxIterations) {
      if (lower > 0) break;
      throw notSeparable(`no separating direction found in ${maxIterations} iterations`);
    }
    // Take the pairwise step of the class with the larger gap.
    const gaps = [0, 1].map((c) => {
      const a = away[c] as number;
      const t = toward[c] as number;
      return (y[a] as number) * (proj[a] as number) - (y[t] as number) * (proj[t] as number);
    });
    const c = (gaps[0] as number) >= (gaps[1] as number) ? 0 : 1;
    const s = toward[c] as number;
    const a = away[c] as number;
    // Moving weight t from a to s changes z by t·v, v = y·(x_s − x_a); exact line search on ‖z‖².
    const sign = y[s] as number;
    let vv = 0;
    let zv = 0;
    for (let k = 0; k < d; k++) {
      const v = sign * ((x[s * d + k] as number) - (x[a * d + k] as number));
      vv += v * v;
      zv += (z[k] as number) * v;
    }
    if (vv === 0 || zv >= 0) {
      // No descent left within either class at machine precision: accept the current bounds.
      if (lower > 0) break;
      throw notSeparable('the class hulls overlap');
    }
    const step = Math.min(-zv / vv, lambda[a] as number);
    lambda[a] = (lambda[a] as number) - step;
    if ((lambda[a] as number) < 1e-15) lambda[a] = 0;
    lambda[s] = (lambda[s] as number) + step;
    for (let k = 0; k < d; k++) {
      z[k] = (z[k] as number) + step * sign * ((x[s * d + k] as number) - (x[a * d + k] as number));
    }
  }

  // Direction u = z/‖z‖ separates the classes by the slab [max_− u·x, min_+ u·x]; put the boundary
  // in its middle and scale w so the closest points have functional margin 1.
  const [tp, tn] = closestOnEachSide(proj, y, n);
  const hi = (proj[tp] as number) / upper;
  const lo = (proj[tn] as number) / upper;
  const margin = withBias ? (hi - lo) / 2 : hi;
  const weights = Array.from(z, (v) => v / upper / margin);
  const bias = withBias ? -(hi + lo) / 2 / margin : 0;
  const supportVectors: number[] = [];
  const original = input.y.length;
  lambda.forEach((l, i) => {
    if (l > 0 && i < original) supportVectors.push(i);
  });
  return {
    weights,
    bias,
    margin,
    relativeGap: (upper - lower) / upper,
    supportVectors,
    iterations,
  };
}

function reflectAgainstOrigin(input: { x: Float64Array; y: Int8Array; d: number }) {
  const { x, y, d } = input;
  const n = y.length;
  const reflected = new Float64Array((n + 1) * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) reflected[i * d + k] = (y[i] as number) * (x[i * d + k] as number);
  }
  const labels = new Int8Array(n + 1).fill(1);
  labels[n] = -1;
  return { x: reflected, y: labels, d };
}

function closestOnEachSide(proj: Float64Array, y: Int8Array, n: number): [number, number] {
  let p = -1;
  let q = -1;
  for (let i = 0; i < n; i++) {
    if (y[i] === 1) {
      if (p < 0 || (proj[i] as number) < (proj[p] as number)) p = i;
    } else if (q < 0 || (proj[i] as number) > (proj[q] as number)) q = i;
  }
  return [p, q];
}

/** The positive point nearest the negative centroid and the negative point nearest the positive one. */
function startingPair(x: Float64Array, y: Int8Array, n: number, d: number): [number, number] {
  const centroid = (cls: number) => {
    const m = new Float64Array(d);
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] !== cls) continue;
      count++;
      for (let k = 0; k < d; k++) m[k] = (m[k] as number) + (x[i * d + k] as number);
    }
    return m.map((v) => v / count);
  };
  const nearest = (cls: number, to: Float64Array) => {
    let best = -1;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (y[i] !== cls) continue;
      let dist = 0;
      for (let k = 0; k < d; k++) dist += ((x[i * d + k] as number) - (to[k] as number)) ** 2;
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    return best;
  };
  return [nearest(1, centroid(-1)), nearest(-1, centroid(1))];
}

function dataRadius(x: Float64Array, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < d; k++) mean[k] = (mean[k] as number) + (x[i * d + k] as number) / n;
  let r = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += ((x[i * d + k] as number) - (mean[k] as number)) ** 2;
    r = Math.max(r, Math.sqrt(s));
  }
  return r;
}

function checkInput(points: readonly (readonly number[])[], labels: readonly number[]) {
  if (points.length !== labels.length) {
    throw new SpecError(`${points.length} points but ${labels.length} labels`, { field: 'labels' });
  }
  const d = points[0]?.length ?? 0;
  if (d === 0) {
    throw new SpecError('needs at least one point with at least one coordinate', {
      field: 'points',
    });
  }
  const x = new Float64Array(points.length * d);
  points.forEach((p, i) => {
    if (p.length !== d) {
      throw new SpecError(`has ${p.length} coordinates, expected ${d}`, { field: `points[${i}]` });
    }
    p.forEach((v, k) => {
      if (!Number.isFinite(v)) {
        throw new SpecError(`is ${v}; coordinates must be finite`, { field: `points[${i}][${k}]` });
      }
      x[i * d + k] = v;
    });
  });
  const y = Int8Array.from(labels, (l, i) => {
    if (l === 1) return 1;
    if (l === 0 || l === -1) return -1;
    throw new SpecError(`is ${l}; labels must be 0/1 or -1/+1`, { field: `labels[${i}]` });
  });
  if (!y.includes(1) || !y.includes(-1)) {
    throw new SpecError('needs points of both classes', { field: 'labels' });
  }
  return { x, y, d };
}
