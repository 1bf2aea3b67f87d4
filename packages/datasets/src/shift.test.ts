import { DataError, Rng } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { classCounts, type LabeledData } from './dataset.js';
import { stratifiedSplit, subsampleClasses, subsampleToRatio, withGroups } from './shift.js';

/** 5000 "cats" then 5000 "dogs", each example's single feature = its own index (mod 256). */
function catsThenDogs(perClass = 5000): LabeledData<Int32Array> {
  const n = 2 * perClass;
  return {
    x: Int32Array.from({ length: n }, (_, i) => i),
    exampleShape: [1],
    y: Int32Array.from({ length: n }, (_, i) => (i < perClass ? 0 : 1)),
    numClasses: 2,
    classNames: ['cat', 'dog'],
    source: 'test',
  };
}

describe('label shift by subsampling', () => {
  it('keeps every label with its own example when the first class is subsampled (A.6)', () => {
    const data = catsThenDogs();
    const { data: sub, indices, classCounts: kept } = subsampleClasses(data, [0.1, 1], 3);
    expect(kept).toEqual([500, 5000]);
    expect(classCounts(sub)).toEqual([500, 5000]);
    for (let k = 0; k < indices.length; k++) {
      const original = indices[k]!;
      // The feature is the original index: its label must be the original label.
      expect(sub.x[k]).toBe(original);
      expect(sub.y[k]).toBe(original < 5000 ? 0 : 1);
    }
  });

  it('is seeded: same seed same subset, other seed other subset', () => {
    const data = catsThenDogs(100);
    const a = subsampleClasses(data, [0.3, 0.5], 1).indices;
    expect(subsampleClasses(data, [0.3, 0.5], 1).indices).toEqual(a);
    expect(subsampleClasses(data, [0.3, 0.5], 2).indices).not.toEqual(a);
  });

  it('reaches a target ratio with the largest possible subsample', () => {
    const data = catsThenDogs(1000);
    expect(subsampleToRatio(data, [1, 9], 0).classCounts).toEqual([111, 1000]);
    expect(subsampleToRatio(data, [1, 1], 0).classCounts).toEqual([1000, 1000]);
    expect(subsampleToRatio(data, [1, 10], 0).classCounts).toEqual([100, 1000]);
  });

  it('refuses to empty a class, naming it', () => {
    const data = catsThenDogs(10);
    expect(() => subsampleClasses(data, [0.01, 1], 0)).toThrow(DataError);
    expect(() => subsampleClasses(data, [0.01, 1], 0)).toThrow(/class 0 \(cat\) is empty/);
    expect(() => subsampleToRatio(data, [0, 1], 0)).toThrow(/empty after subsampling/);
    expect(() => subsampleClasses(data, [2, 1], 0)).toThrow(/fractions\[0\]/);
  });
});

describe('groups and splits', () => {
  it('adds group = class x numAttributes + attribute', () => {
    const data = catsThenDogs(2);
    const g = withGroups(data, [0, 1, 1, 0], 2);
    expect(Array.from(g.group!)).toEqual([0, 1, 3, 2]);
    expect(g.numGroups).toBe(4);
    expect(() => withGroups(data, [0, 2, 0, 0], 2)).toThrow(/attribute\[1\]/);
  });

  it('splits each class in the same proportion, without overlap', () => {
    const data = catsThenDogs(50);
    const { train, test } = stratifiedSplit(data, 0.2, Rng.fromSeed(0).seed());
    expect(classCounts(test)).toEqual([10, 10]);
    expect(classCounts(train)).toEqual([40, 40]);
    const all = new Set([...train.x, ...test.x]);
    expect(all.size).toBe(100);
  });
});
