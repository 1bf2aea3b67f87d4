// Synthetic 2-D data for the fast experiments of reference A.3/A.8. Every generator takes a seed
// and gives the same points for it on every machine.
import { Rng, SpecError } from '@iwlab/core';
import type { LabeledData } from './dataset.js';

export interface SyntheticOptions {
  /** Number of points (default 1024). */
  readonly n?: number;
  /** Share of class 1 (default 0.5); class counts are exact: round(n · share). */
  readonly positiveFraction?: number;
  readonly seed: number;
}

function counts(options: SyntheticOptions): [number, number] {
  const n = options.n ?? 1024;
  const p = options.positiveFraction ?? 0.5;
  if (!Number.isInteger(n) || n < 2) {
    throw new SpecError(`n is ${n}; expected an integer >= 2`, { field: 'n' });
  }
  if (!(p > 0 && p < 1)) {
    throw new SpecError(`positiveFraction is ${p}; expected 0 < p < 1`, {
      field: 'positiveFraction',
    });
  }
  const n1 = Math.round(n * p);
  if (n1 === 0 || n1 === n) {
    throw new SpecError(`n = ${n} with positiveFraction ${p} leaves a class empty`, {
      field: 'positiveFraction',
    });
  }
  return [n - n1, n1];
}

/** Class 0 first, then class 1; callers shuffle through the pipeline. */
function build(
  perClass: readonly [number, number],
  point: (label: 0 | 1, k: number) => [number, number],
  source: string,
): LabeledData<Float32Array> {
  const n = perClass[0] + perClass[1];
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  let i = 0;
  for (const label of [0, 1] as const) {
    for (let k = 0; k < perClass[label]; k++, i++) {
      const [a, b] = point(label, k);
      x[2 * i] = a;
      x[2 * i + 1] = b;
      y[i] = label;
    }
  }
  return { x, exampleShape: [2], y, numClasses: 2, classNames: ['0', '1'], source };
}

function checkPositive(value: number, field: string): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new SpecError(`${field} is ${value}; expected a finite number > 0`, { field });
  }
}

export interface SeparableGaussiansOptions extends SyntheticOptions {
  /** Gap between the classes along the separating direction (default 1). */
  readonly margin?: number;
  /** Distance of each class mean from the separating line (default 1.5). */
  readonly offset?: number;
  /** Standard deviation of each coordinate (default 1). */
  readonly std?: number;
}

/**
 * Linearly separable Gaussians: class c ~ N(±offset · u, std² I) with u = (1, 1)/√2, truncated
 * (rejection) so every point lies at least margin/2 on its own side of the line u·x = 0. The
 * max-margin separator is therefore u·x = 0 with margin >= `margin`.
 */
export function separableGaussians(options: SeparableGaussiansOptions): LabeledData<Float32Array> {
  const margin = options.margin ?? 1;
  const offset = options.offset ?? 1.5;
  const std = options.std ?? 1;
  checkPositive(margin, 'margin');
  checkPositive(offset, 'offset');
  checkPositive(std, 'std');
  const rng = Rng.fromSeed(options.seed);
  const u = Math.SQRT1_2;
  return build(
    counts(options),
    (label) => {
      const sign = label === 1 ? 1 : -1;
      for (;;) {
        const along = rng.normal(sign * offset, std);
        const across = rng.normal(0, std);
        if (sign * along >= margin / 2) {
          // Rotate (along, across) from the u/v frame back to x/y.
          return [u * (along - across), u * (along + across)];
        }
      }
    },
    `separableGaussians(seed ${options.seed}, margin ${margin})`,
  );
}

export interface OverlappingGaussiansOptions extends SyntheticOptions {
  /** Distance between the two means (default 2). */
  readonly distance?: number;
  readonly std?: number;
}

/** Two isotropic Gaussians N((±distance/2, 0), std² I): overlapping, not linearly separable. */
export function overlappingGaussians(
  options: OverlappingGaussiansOptions,
): LabeledData<Float32Array> {
  const distance = options.distance ?? 2;
  const std = options.std ?? 1;
  checkPositive(distance, 'distance');
  checkPositive(std, 'std');
  const rng = Rng.fromSeed(options.seed);
  return build(
    counts(options),
    (label) => [rng.normal((label === 1 ? 1 : -1) * (distance / 2), std), rng.normal(0, std)],
    `overlappingGaussians(seed ${options.seed}, distance ${distance})`,
  );
}

export interface MoonsOptions extends SyntheticOptions {
  /** Standard deviation of the Gaussian noise added to each coordinate (default 0.1). */
  readonly noise?: number;
}

/**
 * Two interleaved half circles, as scikit-learn's make_moons: class 0 on the upper arc
 * (cos t, sin t), class 1 on the lower arc (1 − cos t, 0.5 − sin t), t evenly spaced in [0, π].
 */
export function moons(options: MoonsOptions): LabeledData<Float32Array> {
  const noise = options.noise ?? 0.1;
  if (!(Number.isFinite(noise) && noise >= 0)) {
    throw new SpecError(`noise is ${noise}; expected a finite number >= 0`, { field: 'noise' });
  }
  const rng = Rng.fromSeed(options.seed);
  const perClass = counts(options);
  return build(
    perClass,
    (label, k) => {
      const t = perClass[label] === 1 ? 0 : (Math.PI * k) / (perClass[label] - 1);
      const a = label === 0 ? Math.cos(t) : 1 - Math.cos(t);
      const b = label === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
      return noise === 0 ? [a, b] : [a + rng.normal(0, noise), b + rng.normal(0, noise)];
    },
    `moons(seed ${options.seed}, noise ${noise})`,
  );
}
