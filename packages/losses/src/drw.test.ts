import '../test/setup-backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { deferredReweighting } from './drw.js';

// Class-balanced weights for n = [4000, 400], β = 0.9999 (reference B.17; @iwlab/datasets makes them).
const cb = [0.212588, 1.787412];

describe('deferredReweighting', () => {
  it('weighs every class 1 before the start epoch and uses the given weights from it on', () => {
    const drw = deferredReweighting({ classWeights: cb });
    expect(drw.startEpoch).toBe(160);
    expect(drw.classWeightsAt(0)).toEqual([1, 1]);
    expect(drw.classWeightsAt(159)).toEqual([1, 1]);
    expect(drw.classWeightsAt(160)).toEqual(cb);
    expect(drw.classWeightsAt(199)).toEqual(cb);
  });

  it('turns labels into per-example weights for the epoch', async () => {
    const drw = deferredReweighting({ classWeights: cb, startEpoch: 2 });
    const y = tf.tensor1d([1, 0, 1], 'int32');
    expect(Array.from(await drw.exampleWeights(y, 1).data())).toEqual([1, 1, 1]);
    const late = Array.from(await drw.exampleWeights(y, 2).data());
    [1.787412, 0.212588, 1.787412].forEach((e, i) => {
      expect(late[i]).toBeCloseTo(e, 6);
    });
  });

  it('rejects invalid weights and epochs, naming the field', () => {
    expect(() => deferredReweighting({ classWeights: [1, -1] })).toThrow(/classWeights\[1\]/);
    expect(() => deferredReweighting({ classWeights: [1], startEpoch: -1 })).toThrow(/startEpoch/);
    expect(() => deferredReweighting({ classWeights: [1] }).classWeightsAt(1.5)).toThrow(/epoch/);
  });
});
