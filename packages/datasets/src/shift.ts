// Label shift by subsampling, group labels and stratified splits. All of them pick example
// *indices* and hand them to selectExamples, so images and labels can never be paired wrongly.
import { DataError, Rng, SpecError } from '@iwlab/core';
import { type FeatureArray, indicesByClass, type LabeledData, selectExamples } from './dataset.js';

export interface SubsampleResult<X extends FeatureArray> {
  readonly data: LabeledData<X>;
  /** Index in the input of each kept example, ascending. */
  readonly indices: Int32Array;
  readonly classCounts: number[];
}

function className(data: LabeledData, c: number): string {
  return data.classNames[c] === undefined ? `${c}` : `${c} (${data.classNames[c]})`;
}

function pick<X extends FeatureArray>(
  data: LabeledData<X>,
  keepPerClass: readonly number[],
  seed: number,
): SubsampleResult<X> {
  const byClass = indicesByClass(data.y, data.numClasses);
  const kept: number[] = [];
  byClass.forEach((members, c) => {
    const k = keepPerClass[c] as number;
    if (members.length > 0 && k === 0) {
      throw new DataError(
        `class ${className(data, c)} is empty after subsampling (${members.length} examples, keeping 0); ` +
          'raise its target share or the subsampling fraction',
        { file: data.source, field: `classes[${c}]` },
      );
    }
    // A stream per class: changing one class's target leaves the others' picks unchanged.
    const chosen = Rng.derive(seed, c).sampleWithoutReplacement(members.length, k);
    for (const j of chosen) kept.push(members[j] as number);
  });
  const indices = Int32Array.from(kept).sort();
  return {
    data: selectExamples(data, indices),
    indices,
    classCounts: [...keepPerClass],
  };
}

/**
 * Keeps a seeded random fraction `fractions[c]` of each class (rounded to the nearest count).
 * An example with label -1 is dropped. A class that would end up empty is an error.
 */
export function subsampleClasses<X extends FeatureArray>(
  data: LabeledData<X>,
  fractions: readonly number[],
  seed: number,
): SubsampleResult<X> {
  if (fractions.length !== data.numClasses) {
    throw new SpecError(`${fractions.length} fractions for ${data.numClasses} classes`, {
      field: 'fractions',
    });
  }
  const byClass = indicesByClass(data.y, data.numClasses);
  const keep = fractions.map((f, c) => {
    if (!(f >= 0 && f <= 1)) {
      throw new SpecError(`fraction is ${f}; expected 0..1`, { field: `fractions[${c}]` });
    }
    return Math.round(f * (byClass[c] as number[]).length);
  });
  return pick(data, keep, seed);
}

/**
 * Label shift: the largest subsample whose class counts follow `targetRatio` (e.g. [1, 9] for
 * 10% class 0), drawn without replacement per class from the seed.
 */
export function subsampleToRatio<X extends FeatureArray>(
  data: LabeledData<X>,
  targetRatio: readonly number[],
  seed: number,
): SubsampleResult<X> {
  if (targetRatio.length !== data.numClasses) {
    throw new SpecError(
      `target ratio has ${targetRatio.length} entries for ${data.numClasses} classes`,
      { field: 'targetRatio' },
    );
  }
  const total = targetRatio.reduce((a, b) => a + b, 0);
  targetRatio.forEach((r, c) => {
    if (!(Number.isFinite(r) && r >= 0)) {
      throw new SpecError(`share is ${r}; expected a finite number >= 0`, {
        field: `targetRatio[${c}]`,
      });
    }
  });
  if (!(total > 0)) throw new SpecError('target ratio sums to 0', { field: 'targetRatio' });
  const byClass = indicesByClass(data.y, data.numClasses);
  // Scale m so that m·π_c <= n_c for every class with π_c > 0.
  let m = Number.POSITIVE_INFINITY;
  targetRatio.forEach((r, c) => {
    if (r > 0) m = Math.min(m, (byClass[c] as number[]).length / (r / total));
  });
  // The epsilon absorbs float error so an exact target like 500/5000 is not floored to 499.
  const keep = targetRatio.map((r) => Math.floor((m * r) / total + 1e-9));
  return pick(data, keep, seed);
}

/**
 * Adds group labels group = y · numAttributes + attribute (e.g. class x background), the
 * grouping Group DRO and worst-group metrics use.
 */
export function withGroups<X extends FeatureArray>(
  data: LabeledData<X>,
  attribute: ArrayLike<number>,
  numAttributes: number,
): LabeledData<X> {
  if (attribute.length !== data.y.length) {
    throw new SpecError(`${attribute.length} attribute values for ${data.y.length} examples`, {
      field: 'attribute',
    });
  }
  const group = new Int32Array(data.y.length);
  for (let i = 0; i < group.length; i++) {
    const a = attribute[i] as number;
    const c = data.y[i] as number;
    if (!Number.isInteger(a) || a < 0 || a >= numAttributes) {
      throw new SpecError(`attribute ${a} is outside 0..${numAttributes - 1}`, {
        field: `attribute[${i}]`,
      });
    }
    if (c < 0) {
      throw new SpecError('an example without a class (label -1) cannot be grouped', {
        field: `y[${i}]`,
      });
    }
    group[i] = c * numAttributes + a;
  }
  return { ...data, group, numGroups: data.numClasses * numAttributes };
}

/** A seeded split that keeps each class's share in both parts. */
export function stratifiedSplit<X extends FeatureArray>(
  data: LabeledData<X>,
  testFraction: number,
  seed: number,
): { train: LabeledData<X>; test: LabeledData<X> } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new SpecError(`test fraction is ${testFraction}; expected 0 < f < 1`, {
      field: 'testFraction',
    });
  }
  const train: number[] = [];
  const test: number[] = [];
  indicesByClass(data.y, data.numClasses).forEach((members, c) => {
    const order = Rng.derive(seed, c).permutation(members.length);
    const nTest = Math.round(members.length * testFraction);
    order.forEach((j, k) => {
      (k < nTest ? test : train).push(members[j] as number);
    });
  });
  const asc = (v: number[]) => Int32Array.from(v).sort();
  return { train: selectExamples(data, asc(train)), test: selectExamples(data, asc(test)) };
}
