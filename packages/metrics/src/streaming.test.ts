// The contract every streaming metric here keeps: `update` never reads a tensor back (on a GPU
// that would stall the pipeline once per batch) and frees what it replaces.
import '@tensorflow/tfjs-backend-cpu';
import type { Metric } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeBatch } from '../test/helpers.js';
import { expectedCalibrationError } from './calibration.js';
import { classificationMetrics, fractionPredicted } from './classification.js';
import { groupAccuracy } from './groups.js';
import { marginMetrics } from './margins.js';
import { weightedRisk } from './risk.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  vi.restoreAllMocks();
});

const theta = tf.tensor1d([1, 2]);
const metrics: [string, Metric<unknown>][] = [
  ['classificationMetrics', classificationMetrics({ numClasses: 3 })],
  ['fractionPredicted', fractionPredicted({ numClasses: 3 })],
  ['groupAccuracy', groupAccuracy({ numClasses: 3, numGroups: 2 })],
  ['weightedRisk', weightedRisk({ numClasses: 3 })],
  ['expectedCalibrationError', expectedCalibrationError({ numClasses: 3 })],
  [
    'marginMetrics',
    marginMetrics({ numClasses: 3, normalization: { parameters: () => [theta], degree: 1 } }),
  ],
];

describe.each(metrics)('%s', (_, metric) => {
  it('reads nothing back in update, keeps a constant tensor count, and reads back in result', async () => {
    const batch = makeBatch({
      logits: [
        [1, 0, 2],
        [0, 3, 1],
        [2, 2, 0],
      ],
      y: [2, 1, 0],
      w: [1, 2, 0.5],
      group: [0, 1, 1],
    });
    const reads = (['data', 'dataSync', 'array', 'arraySync', 'bytes'] as const).map((method) =>
      vi.spyOn(tf.Tensor.prototype, method),
    );
    let state = metric.init();
    state = metric.update(state, batch.x as tf.Tensor2D, batch);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) state = metric.update(state, batch.x as tf.Tensor2D, batch);
    expect(tf.memory().numTensors).toBe(count);
    expect(reads.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(0);
    const values = await metric.result(state);
    expect(reads.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBeGreaterThan(0);
    expect(Object.keys(values).length).toBeGreaterThan(0);
    expect(Object.values(values).every(Number.isFinite)).toBe(true);
    metric.dispose?.(state);
    expect(tf.memory().numTensors).toBeLessThan(count);
  });
});
