// Spec → data in memory: the training set (after the label shift) and the evaluation sets, each
// marked labeled (in-task classes) or not (out-of-domain images, noise).
import { mixSeed, Rng, SpecError } from '@iwlab/core';
import {
  CIFAR_HALF,
  CIFAR_MEAN_STD,
  type LabeledData,
  loadCatDog,
  moons,
  numExamples,
  overlappingGaussians,
  type Preprocess,
  SCALE_01,
  selectExamples,
  separableGaussians,
  subsampleClasses,
} from '@iwlab/datasets';
import type { CifarDataSpec, ExperimentSpec, SyntheticDataSpec } from '../spec.js';

export interface NamedData {
  readonly name: string;
  readonly data: LabeledData;
  /** False when the examples have no class in the task (label -1). */
  readonly labeled: boolean;
}

export interface RunData {
  readonly train: LabeledData;
  readonly evaluation: readonly NamedData[];
  readonly classNames: readonly string[];
  readonly preprocess: Preprocess | undefined;
}

const SYNTHETIC_PARAMS: Record<SyntheticDataSpec['generator'], readonly string[]> = {
  'separable-gaussians': ['margin', 'offset', 'std'],
  'overlapping-gaussians': ['distance', 'std'],
  moons: ['noise'],
};

/** Class names of 2-D data in stored metric keys: `fractionPredicted.positive`. */
export const SYNTHETIC_CLASS_NAMES = ['negative', 'positive'] as const;

function synthetic(spec: SyntheticDataSpec, n: number, positiveFraction: number, seed: number) {
  const allowed = SYNTHETIC_PARAMS[spec.generator];
  for (const key of Object.keys(spec.params)) {
    if (!allowed.includes(key)) {
      throw new SpecError(
        `${spec.generator} has no parameter "${key}"; it takes ${allowed.join(', ')}`,
        {
          field: `data.params.${key}`,
        },
      );
    }
  }
  const options = { ...spec.params, n, positiveFraction, seed };
  const data =
    spec.generator === 'separable-gaussians'
      ? separableGaussians(options)
      : spec.generator === 'overlapping-gaussians'
        ? overlappingGaussians(options)
        : moons(options);
  return { ...data, classNames: SYNTHETIC_CLASS_NAMES };
}

/** A seeded subset of at most `perClass` examples of each class (or of all, for unlabeled sets). */
function subset(data: LabeledData, count: number, seed: number, perClass: boolean): LabeledData {
  const rng = Rng.fromSeed(seed);
  if (!perClass) {
    const n = numExamples(data);
    if (n <= count) return data;
    return selectExamples(data, Int32Array.from(rng.sampleWithoutReplacement(n, count)).sort());
  }
  const chosen: number[] = [];
  for (let c = 0; c < data.numClasses; c++) {
    const members: number[] = [];
    data.y.forEach((label, i) => {
      if (label === c) members.push(i);
    });
    const take = Math.min(count, members.length);
    for (const k of rng.sampleWithoutReplacement(members.length, take)) {
      chosen.push(members[k] as number);
    }
  }
  return selectExamples(data, Int32Array.from(chosen).sort());
}

const PREPROCESS: Record<CifarDataSpec['preprocess'], Preprocess> = {
  half: CIFAR_HALF,
  'mean-std': CIFAR_MEAN_STD,
  unit: SCALE_01,
};

function cifar(spec: CifarDataSpec, dataDir: string | undefined) {
  const task = loadCatDog({
    source: spec.source,
    ...(dataDir === undefined ? {} : { dataDir }),
    noise: spec.noiseImages > 0 ? { count: spec.noiseImages, seed: mixSeed(spec.seed, 7) } : false,
  });
  const train =
    spec.trainPerClass === undefined
      ? task.train
      : subset(task.train, spec.trainPerClass, mixSeed(spec.seed, 1), true);
  const cap = (data: LabeledData, key: number, perClass: boolean) =>
    spec.evalPerSet === undefined
      ? data
      : subset(
          data,
          perClass ? Math.ceil(spec.evalPerSet / 2) : spec.evalPerSet,
          mixSeed(spec.seed, key),
          perClass,
        );
  const evaluation: NamedData[] = [
    { name: 'in-domain', data: cap(task.evaluation.inDomain, 2, true), labeled: true },
  ];
  if (task.evaluation.outOfDomain) {
    evaluation.push({
      name: 'out-of-domain',
      data: cap(task.evaluation.outOfDomain, 3, false),
      labeled: false,
    });
  }
  if (task.evaluation.noise) {
    evaluation.push({ name: 'noise', data: task.evaluation.noise, labeled: false });
  }
  return { train, evaluation, classNames: task.train.classNames };
}

/** Loads or generates the data a spec names; `dataDir` is where real data sets are looked for. */
export function loadRunData(spec: ExperimentSpec, dataDir?: string): RunData {
  let train: LabeledData;
  let evaluation: NamedData[];
  let classNames: readonly string[];
  let preprocess: Preprocess | undefined;
  if (spec.data.kind === 'synthetic') {
    const d = spec.data;
    train = synthetic(d, d.trainSize, d.positiveFraction, d.seed);
    // Balanced, so "fraction predicted positive" is 0.5 for a classifier that ignores the weights.
    evaluation = [
      { name: 'test', data: synthetic(d, d.testSize, 0.5, mixSeed(d.seed, 1)), labeled: true },
    ];
    classNames = SYNTHETIC_CLASS_NAMES;
    preprocess = undefined;
  } else {
    ({ train, evaluation, classNames } = cifar(spec.data, dataDir));
    preprocess = PREPROCESS[spec.data.preprocess];
  }
  if (spec.shift.kind === 'subsample') {
    train = subsampleClasses(train, spec.shift.fractions, spec.shift.seed).data;
  }
  return { train, evaluation, classNames, preprocess };
}

/**
 * Largest singular value of the training inputs as an [N, d] matrix (reference A.3:
 * lr = 0.01 / σ_max(X)), by power iteration on XᵀX.
 */
export function sigmaMax(data: LabeledData): number {
  const n = numExamples(data);
  const d = data.x.length / n;
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  let lambda = 0;
  for (let iter = 0; iter < 200; iter++) {
    const xv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data.x[i * d + j] as number) * (v[j] as number);
      xv[i] = s;
    }
    const next = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++)
        next[j] = (next[j] as number) + (data.x[i * d + j] as number) * (xv[i] as number);
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return 0;
    const converged = Math.abs(norm - lambda) <= 1e-12 * norm;
    lambda = norm;
    v = next.map((x) => x / norm);
    if (converged) break;
  }
  return Math.sqrt(lambda);
}
