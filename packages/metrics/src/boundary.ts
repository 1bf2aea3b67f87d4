// Decision boundaries of 2-D models (reference A.3: boundary plots per epoch) and, for linear
// models, the angle between the boundary's normal and a reference direction such as the
// max-margin separator (see svm.ts), which tells how far training has turned towards it.
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Predictor } from './evaluate.js';
import { classLogits } from './internal/logits.js';
import { checkCount } from './internal/names.js';

export interface GridOptions {
  /** [min, max] of the first input coordinate. */
  readonly x: readonly [number, number];
  /** [min, max] of the second input coordinate. */
  readonly y: readonly [number, number];
  /** Points per axis: one number for both, or [nx, ny]. Each at least 2. */
  readonly resolution: number | readonly [number, number];
  /** Grid points per forward pass (default 4096). */
  readonly batchSize?: number;
}

export interface ProbabilityGrid {
  /** The nx first coordinates, evenly spaced from x[0] to x[1] inclusive. */
  readonly xs: number[];
  /** The ny second coordinates, evenly spaced from y[0] to y[1] inclusive. */
  readonly ys: number[];
  readonly numClasses: number;
  /** Softmax probabilities, row-major: index ((j·nx) + i)·K + k for point (xs[i], ys[j]), class k. */
  readonly probabilities: Float32Array;
}

/**
 * Predicted class probabilities over a regular grid of 2-D inputs, for boundary plots and
 * animations. A 1-logit model gives K = 2 with p(class 1) = σ(s). Reads back once.
 */
export async function decisionBoundaryGrid(
  predictor: Predictor,
  options: GridOptions,
): Promise<ProbabilityGrid> {
  const [nx, ny] =
    typeof options.resolution === 'number'
      ? [options.resolution, options.resolution]
      : options.resolution;
  for (const [n, field] of [
    [nx, 'resolution[0]'],
    [ny, 'resolution[1]'],
  ] as const) {
    if (!Number.isInteger(n) || n < 2) {
      throw new SpecError(`must be an integer >= 2, got ${n}`, { field });
    }
  }
  const batchSize = options.batchSize ?? 4096;
  checkCount(batchSize, 'batchSize');
  const xs = linspace(options.x, nx, 'x');
  const ys = linspace(options.y, ny, 'y');
  const points = new Float32Array(nx * ny * 2);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      points[2 * (j * nx + i)] = xs[i] as number;
      points[2 * (j * nx + i) + 1] = ys[j] as number;
    }
  }
  const apply =
    typeof predictor === 'function' ? predictor : (x: tf.Tensor) => predictor.apply(x, false);
  const total = nx * ny;
  const chunks: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < total; start += batchSize) {
      const count = Math.min(batchSize, total - start);
      chunks.push(
        tf.tidy(() => {
          const input = tf.tensor2d(points.subarray(2 * start, 2 * (start + count)), [count, 2]);
          return tf.softmax(classLogits(apply(input)));
        }),
      );
    }
    const numClasses = chunks[0]?.shape[1] as number;
    const all = tf.concat(chunks, 0);
    const probabilities = (await all.data()) as Float32Array;
    all.dispose();
    return { xs, ys, numClasses, probabilities };
  } finally {
    for (const c of chunks) c.dispose();
  }
}

/**
 * The normal of a linear model's decision boundary, pointing towards class 1: the kernel column
 * itself for one sigmoid logit ([d, 1]), W[:, 1] − W[:, 0] for two logits ([d, 2]).
 */
export async function linearBoundaryNormal(kernel: tf.Tensor2D): Promise<number[]> {
  const width = kernel.shape[1];
  if (kernel.rank !== 2 || (width !== 1 && width !== 2)) {
    throw new SpecError(
      `a binary linear model's kernel must be [inputs, 1] or [inputs, 2], got [${kernel.shape}]`,
      { field: 'kernel' },
    );
  }
  const normal = tf.tidy(() => {
    if (width === 1) return tf.reshape(kernel, [-1]);
    const [w0, w1] = tf.split(kernel, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return tf.reshape(tf.sub(w1, w0), [-1]);
  });
  const values = Array.from(await normal.data());
  normal.dispose();
  return values;
}

export interface BoundaryAngleOptions {
  /** Default true: compare orientations (which side is class 1), not just the lines. */
  readonly oriented?: boolean;
}

/**
 * Angle in degrees between two boundary normals. Oriented (default): in [0, 180], 0 when both
 * point towards the same class. `oriented: false`: the angle between the boundary lines, in
 * [0, 90]. Null when either vector is zero (no boundary, e.g. a zero-initialized model).
 */
export function boundaryAngle(
  normal: readonly number[],
  reference: readonly number[],
  options: BoundaryAngleOptions = {},
): number | null {
  if (normal.length !== reference.length || normal.length === 0) {
    throw new SpecError(
      `vectors must have the same, non-zero length; got ${normal.length} and ${reference.length}`,
      { field: 'reference' },
    );
  }
  let dot = 0;
  let nn = 0;
  let rr = 0;
  normal.forEach((a, i) => {
    const b = reference[i] as number;
    dot += a * b;
    nn += a * a;
    rr += b * b;
  });
  if (!Number.isFinite(dot + nn + rr)) {
    throw new SpecError('vectors must be finite', { field: 'normal' });
  }
  if (nn === 0 || rr === 0) return null;
  let cos = Math.max(-1, Math.min(1, dot / Math.sqrt(nn * rr)));
  if (options.oriented === false) cos = Math.abs(cos);
  return (Math.acos(cos) * 180) / Math.PI;
}

function linspace(range: readonly [number, number], n: number, field: string): number[] {
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new SpecError(`must be [min, max] with finite min < max, got [${lo}, ${hi}]`, { field });
  }
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
}
