// The in-memory form every loader returns and every pipeline consumes. Features stay in the
// smallest type that holds them (uint8 for images) until a batch is built, so a data set costs
// about its raw bytes in memory.
import { SpecError } from '@iwlab/core';

export type FeatureArray = Uint8Array | Float32Array | Int32Array;

/**
 * N examples, row-major with the example index first: example i is
 * `x.subarray(i * exampleSize, (i + 1) * exampleSize)`, shaped `exampleShape` (images: [H, W, C]).
 */
export interface LabeledData<X extends FeatureArray = FeatureArray> {
  readonly x: X;
  readonly exampleShape: readonly number[];
  /** Class ids in 0..numClasses-1, or -1 for examples with no class in this task (OOD, noise). */
  readonly y: Int32Array;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Group ids (e.g. class x attribute) in 0..numGroups-1. */
  readonly group?: Int32Array;
  readonly numGroups?: number;
  /** Where the examples came from (files, generator), for error messages and run records. */
  readonly source: string;
}

export type ImageData = LabeledData<Uint8Array>;

export function numExamples(data: LabeledData): number {
  return data.y.length;
}

export function exampleSize(data: Pick<LabeledData, 'exampleShape'>): number {
  return data.exampleShape.reduce((a, b) => a * b, 1);
}

/** Examples per class (examples labelled -1 are not counted). */
export function classCounts(data: Pick<LabeledData, 'y' | 'numClasses'>): number[] {
  const counts = new Array<number>(data.numClasses).fill(0);
  for (let i = 0; i < data.y.length; i++) {
    const c = data.y[i] as number;
    if (c < 0) continue;
    if (c >= data.numClasses) {
      throw new SpecError(`label ${c} is outside 0..${data.numClasses - 1}`, { field: `y[${i}]` });
    }
    counts[c] = (counts[c] as number) + 1;
  }
  return counts;
}

/** Examples per group; throws when the data has no groups. */
export function groupCounts(data: LabeledData): number[] {
  if (data.group === undefined || data.numGroups === undefined) {
    throw new SpecError('the data has no group labels; add them with withGroups()', {
      field: 'group',
    });
  }
  return classCounts({ y: data.group, numClasses: data.numGroups });
}

/**
 * The examples at `indices`, in that order (repeats allowed). Features, label and group of each
 * example travel together by index, so a subsample can never pair an image with another
 * example's label (the bug of reference A.6).
 */
export function selectExamples<X extends FeatureArray>(
  data: LabeledData<X>,
  indices: ArrayLike<number>,
): LabeledData<X> {
  const size = exampleSize(data);
  const n = numExamples(data);
  const x = new (data.x.constructor as new (length: number) => X)(indices.length * size);
  const y = new Int32Array(indices.length);
  const group = data.group === undefined ? undefined : new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new SpecError(`index ${i} is outside 0..${n - 1}`, { field: `indices[${k}]` });
    }
    x.set(data.x.subarray(i * size, (i + 1) * size), k * size);
    y[k] = data.y[i] as number;
    if (group !== undefined) group[k] = (data.group as Int32Array)[i] as number;
  }
  return { ...data, x, y, ...(group === undefined ? {} : { group }) };
}

/** Indices of the examples of each class, in their original order. */
export function indicesByClass(y: Int32Array, numClasses: number): number[][] {
  const out: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < y.length; i++) {
    const c = y[i] as number;
    if (c >= 0 && c < numClasses) (out[c] as number[]).push(i);
  }
  return out;
}
