import '@tensorflow/tfjs-backend-cpu';
import { DataError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { logitsFor, makeBatch, run } from '../test/helpers.js';
import { classificationMetrics, confusionMatrixFrom, fractionPredicted } from './classification.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// y = [0,0,1,2,2,2], predicted = [0,1,1,2,0,0], split over two batches.
// confusion (row = true): [[1,1,0],[0,1,0],[2,0,1]]
const batches = [
  { logits: logitsFor([0, 1, 1], 3), y: [0, 0, 1] },
  { logits: logitsFor([2, 0, 0], 3), y: [2, 2, 2] },
];

describe('classificationMetrics', () => {
  it('matches hand-computed values over two batches', async () => {
    const r = await run(classificationMetrics({ numClasses: 3 }), batches);
    expect(r['count']).toBe(6);
    expect(r['accuracy']).toBeCloseTo(3 / 6, 12);
    expect(r['classAccuracy.0']).toBeCloseTo(0.5, 12);
    expect(r['classAccuracy.1']).toBeCloseTo(1, 12);
    expect(r['classAccuracy.2']).toBeCloseTo(1 / 3, 12);
    expect(r['balancedAccuracy']).toBeCloseTo((0.5 + 1 + 1 / 3) / 3, 12);
    expect(r['worstClassAccuracy']).toBeCloseTo(1 / 3, 12);
    expect(r['fractionPredicted.0']).toBeCloseTo(3 / 6, 12);
    expect(r['fractionPredicted.1']).toBeCloseTo(2 / 6, 12);
    expect(r['fractionPredicted.2']).toBeCloseTo(1 / 6, 12);
    expect(confusionMatrixFrom(r, 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [2, 0, 1],
    ]);
  });

  it('names keys by class names', async () => {
    const r = await run(classificationMetrics({ numClasses: 2, classNames: ['cat', 'dog'] }), [
      { logits: logitsFor([1, 1, 0, 1], 2), y: [0, 1, 1, 1] },
    ]);
    expect(r['fractionPredicted.dog']).toBeCloseTo(0.75, 12);
    expect(r['classAccuracy.cat']).toBe(0);
    expect(r['confusion.dog.cat']).toBe(1);
  });

  it('leaves an empty class out of the class averages instead of producing NaN', async () => {
    const r = await run(classificationMetrics({ numClasses: 3 }), [
      { logits: logitsFor([0, 1, 2, 2], 3), y: [0, 0, 2, 2] },
    ]);
    expect(r['classCount.1']).toBe(0);
    expect(r).not.toHaveProperty('classAccuracy.1');
    expect(r['balancedAccuracy']).toBeCloseTo((0.5 + 1) / 2, 12);
    expect(r['worstClassAccuracy']).toBeCloseTo(0.5, 12);
    expect(r['fractionPredicted.1']).toBeCloseTo(0.25, 12);
    expect(Object.values(r).every(Number.isFinite)).toBe(true);
  });

  it('reports only counts when it saw no examples', async () => {
    const r = await run(classificationMetrics({ numClasses: 2, confusion: false }), []);
    expect(r).toEqual({ count: 0, 'classCount.0': 0, 'classCount.1': 0 });
  });

  it('treats one logit as a sigmoid for class 1 (ties to class 0)', async () => {
    const r = await run(classificationMetrics({ numClasses: 2 }), [
      { logits: [[2], [-1], [0]], y: [1, 0, 1] },
    ]);
    expect(r['fractionPredicted.1']).toBeCloseTo(1 / 3, 12);
    expect(r['accuracy']).toBeCloseTo(2 / 3, 12);
  });

  it('rejects labels outside [0, K) when reading the result', async () => {
    await expect(
      run(classificationMetrics({ numClasses: 2 }), [{ logits: logitsFor([0, 1], 2), y: [0, 2] }]),
    ).rejects.toThrow(DataError);
    await expect(
      run(classificationMetrics({ numClasses: 2 }), [{ logits: logitsFor([0, 1], 2), y: [0, -1] }]),
    ).rejects.toThrow(/1 of 2 labels are outside \[0, 2\)/);
  });

  it('rejects logits of the wrong width and bad options, naming the field', () => {
    const metric = classificationMetrics({ numClasses: 3 });
    const batch = makeBatch({ logits: logitsFor([0, 1], 2), y: [0, 1] });
    expect(() => metric.update(metric.init(), batch.x as tf.Tensor2D, batch)).toThrow(
      /field logits/,
    );
    expect(() => classificationMetrics({ numClasses: 0 })).toThrow(SpecError);
    expect(() => classificationMetrics({ numClasses: 2, classNames: ['a', 'a'] })).toThrow(
      /classNames\[1\]/,
    );
    expect(() => classificationMetrics({ numClasses: 2, classNames: ['a', 'b.c'] })).toThrow(
      /contains a dot/,
    );
  });

  it('does not read back or leak tensors per batch', async () => {
    const metric = classificationMetrics({ numClasses: 3 });
    const batch = makeBatch(batches[0] as (typeof batches)[0]);
    let state = metric.init();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) state = metric.update(state, batch.x as tf.Tensor2D, batch);
    expect(tf.memory().numTensors).toBe(before);
    metric.dispose?.(state);
  });
});

describe('fractionPredicted', () => {
  it('reports only the count and the fractions', async () => {
    const r = await run(fractionPredicted({ numClasses: 2, classNames: ['cat', 'dog'] }), [
      { logits: logitsFor([1, 1, 0, 1], 2), y: [0, 0, 0, 0] },
    ]);
    expect(r).toEqual({ count: 4, 'fractionPredicted.cat': 0.25, 'fractionPredicted.dog': 0.75 });
  });

  it('ignores labels: out-of-domain sets carry label -1', async () => {
    const r = await run(fractionPredicted({ numClasses: 2, classNames: ['cat', 'dog'] }), [
      { logits: logitsFor([1, 1, 0], 2), y: [-1, -1, -1] },
      { logits: logitsFor([1, 0, 0], 2), y: [-1, 7, -1] },
    ]);
    expect(r).toEqual({ count: 6, 'fractionPredicted.cat': 0.5, 'fractionPredicted.dog': 0.5 });
  });

  it('reports only the count for an empty set, never NaN', async () => {
    const r = await run(fractionPredicted({ numClasses: 2 }), []);
    expect(r).toEqual({ count: 0 });
  });
});
