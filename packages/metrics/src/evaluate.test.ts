import '@tensorflow/tfjs-backend-cpu';
import type { Metric } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { identity, logitsFor, streamOf } from '../test/helpers.js';
import { classificationMetrics, fractionPredicted } from './classification.js';
import { evaluate, evaluateSets, withPrefix } from './evaluate.js';
import { marginMetrics } from './margins.js';
import { weightedRisk } from './risk.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batches = [
  { logits: logitsFor([0, 1, 1], 2), y: [0, 0, 1], w: [1, 1, 2] },
  { logits: logitsFor([1], 2), y: [1], w: [2] },
];

describe('evaluate', () => {
  it('runs several metrics in one pass and merges their results', async () => {
    const r = await evaluate(identity, { name: 'test', data: streamOf(batches) }, [
      fractionPredicted({ numClasses: 2, classNames: ['cat', 'dog'] }),
      weightedRisk({ numClasses: 2 }),
      marginMetrics({ numClasses: 2 }),
    ]);
    expect(r['count']).toBe(4);
    expect(r['fractionPredicted.dog']).toBeCloseTo(0.75, 12);
    expect(r['weightedError']).toBeCloseTo(1 / 6, 6);
    expect(r['minMargin']).toBe(-3);
  });

  it('frees every batch, the logits and the metric states', async () => {
    const before = tf.memory().numTensors;
    await evaluate(identity, streamOf(batches), [classificationMetrics({ numClasses: 2 })]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('calls a model with training = false', async () => {
    const seen: boolean[] = [];
    const model = {
      apply(x: tf.Tensor, training: boolean) {
        seen.push(training);
        return tf.neg(x) as tf.Tensor2D;
      },
    };
    const r = await evaluate(model, streamOf(batches), [fractionPredicted({ numClasses: 2 })]);
    expect(seen).toEqual([false, false]);
    expect(r['fractionPredicted.1']).toBeCloseTo(0.25, 12);
  });

  it('refuses two metrics reporting the same key, and frees the states anyway', async () => {
    const before = tf.memory().numTensors;
    const metrics = [
      fractionPredicted({ numClasses: 2 }),
      classificationMetrics({ numClasses: 2 }),
    ];
    await expect(evaluate(identity, streamOf(batches), metrics)).rejects.toThrow(
      /"fractionPredicted" and "classification" both report "count"/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const prefixed = await evaluate(identity, streamOf(batches), [
      metrics[0] as Metric<unknown>,
      withPrefix(metrics[1] as Metric<unknown>, 'all'),
    ]);
    expect(prefixed['all.accuracy']).toBeCloseTo(0.75, 12);
    expect(prefixed['count']).toBe(4);
  });

  it('evaluates several named sets and rejects a repeated name', async () => {
    const sets = [
      { name: 'in-domain', data: streamOf(batches) },
      { name: 'noise', data: streamOf([{ logits: logitsFor([1, 1], 2), y: [0, 0] }]) },
    ];
    const metrics = [fractionPredicted({ numClasses: 2 })];
    const r = await evaluateSets(identity, sets, metrics);
    expect(r['in-domain']?.['fractionPredicted.1']).toBeCloseTo(0.75, 12);
    expect(r['noise']?.['fractionPredicted.1']).toBe(1);
    await expect(
      evaluateSets(identity, [sets[0], sets[0]] as typeof sets, metrics),
    ).rejects.toThrow(SpecError);
  });
});
