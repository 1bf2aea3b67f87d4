import '@tensorflow/tfjs-backend-cpu';
import { DataError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { logitsFor, makeBatch, run } from '../test/helpers.js';
import { groupAccuracy } from './groups.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// groups [0,0,1,1,1,2], correct [1,0,1,1,0,1]: acc = [1/2, 2/3, 1].
const y = [0, 1, 0, 1, 1, 0];
const predicted = [0, 0, 0, 1, 0, 0];
const group = [0, 0, 1, 1, 1, 2];
const batches = [
  { logits: logitsFor(predicted.slice(0, 2), 2), y: y.slice(0, 2), group: group.slice(0, 2) },
  { logits: logitsFor(predicted.slice(2), 2), y: y.slice(2), group: group.slice(2) },
];

describe('groupAccuracy', () => {
  it('matches hand-computed worst, average and train-weighted accuracy', async () => {
    const r = await run(
      groupAccuracy({ numClasses: 2, numGroups: 3, groupProportions: [2, 1, 1] }),
      batches,
    );
    expect(r['groupCount.1']).toBe(3);
    expect(r['groupAccuracy.0']).toBeCloseTo(1 / 2, 12);
    expect(r['groupAccuracy.1']).toBeCloseTo(2 / 3, 12);
    expect(r['groupAccuracy.2']).toBeCloseTo(1, 12);
    expect(r['worstGroupAccuracy']).toBeCloseTo(1 / 2, 12);
    expect(r['averageGroupAccuracy']).toBeCloseTo((1 / 2 + 2 / 3 + 1) / 3, 12);
    expect(r['trainWeightedGroupAccuracy']).toBeCloseTo(0.5 * 0.5 + 0.25 * (2 / 3) + 0.25, 12);
  });

  it('leaves empty groups out, and omits the train-weighted average when it would need them', async () => {
    const withZero = await run(
      groupAccuracy({ numClasses: 2, numGroups: 4, groupProportions: [1, 1, 1, 0] }),
      batches,
    );
    expect(withZero['groupCount.3']).toBe(0);
    expect(withZero).not.toHaveProperty('groupAccuracy.3');
    expect(withZero['worstGroupAccuracy']).toBeCloseTo(1 / 2, 12);
    expect(withZero['trainWeightedGroupAccuracy']).toBeCloseTo((1 / 2 + 2 / 3 + 1) / 3, 12);
    const needsEmpty = await run(
      groupAccuracy({ numClasses: 2, numGroups: 4, groupProportions: [1, 1, 1, 1] }),
      batches,
    );
    expect(needsEmpty).not.toHaveProperty('trainWeightedGroupAccuracy');
    expect(Object.values(needsEmpty).every(Number.isFinite)).toBe(true);
    const none = await run(
      groupAccuracy({ numClasses: 2, numGroups: 2, groupNames: ['a', 'b'] }),
      [],
    );
    expect(none).toEqual({ 'groupCount.a': 0, 'groupCount.b': 0 });
  });

  it('says so when batches have no group ids, or ids out of range', async () => {
    const metric = groupAccuracy({ numClasses: 2, numGroups: 2 });
    const batch = makeBatch({ logits: logitsFor([0], 2), y: [0] });
    expect(() => metric.update(metric.init(), batch.x as tf.Tensor2D, batch)).toThrow(
      /field batch\.group/,
    );
    await expect(
      run(metric, [{ logits: logitsFor([0, 1], 2), y: [0, 1], group: [0, 5] }]),
    ).rejects.toThrow(DataError);
  });

  it('rejects bad proportions, naming the entry', () => {
    expect(() => groupAccuracy({ numClasses: 2, numGroups: 2, groupProportions: [1, -1] })).toThrow(
      /groupProportions\[1\]/,
    );
    expect(() => groupAccuracy({ numClasses: 2, numGroups: 2, groupProportions: [1] })).toThrow(
      SpecError,
    );
  });
});
