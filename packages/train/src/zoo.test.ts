// The loop with the real parts it will meet: a zoo MLP with dropout (@iwlab/models, whose
// getWeights returns copies and whose dropout masks follow a step clock) and Group DRO
// (@iwlab/losses, a loss with state q updated every batch), evaluated with @iwlab/metrics.
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WeightedLoss } from '@iwlab/core';
import { createLoss, type GroupDroLoss } from '@iwlab/losses';
import { classificationMetrics } from '@iwlab/metrics';
import { createModel } from '@iwlab/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrayStream, blobs } from './__tests__/helpers.js';
import { train } from './train.js';
import type { EpochRecord, TrainOptions } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const metricsOf = (history: readonly EpochRecord[]) =>
  history.map(({ seconds: _seconds, ...rest }) => rest);

// Groups: class x (first coordinate > 0), four groups of unequal size.
const data = blobs(40, 21, 1);
const groups = data.x.map((x, i) => (data.y[i] as number) * 2 + ((x[0] as number) > 0 ? 1 : 0));
const groupCounts = [0, 1, 2, 3].map((g) => groups.filter((v) => v === g).length);

function run(dir: string, overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model: createModel({
      kind: 'mlp',
      inputShape: [2],
      numClasses: 2,
      hidden: [16],
      dropout: 0.3,
      seed: 4,
    }),
    loss: createLoss('group-dro', { stepSize: 0.1 }, { numClasses: 2, groupCounts }),
    reduction: 'mean',
    data: arrayStream({ ...data, group: groups }, 8, 13),
    optimizer: { kind: 'sgd', lr: 0.2, momentum: 0.9 },
    epochs: 5,
    seed: 2,
    groupCounts,
    trainMetrics: [classificationMetrics({ numClasses: 2, confusion: false })],
    evaluate: {
      sets: [{ name: 'test', data: arrayStream(blobs(16, 9), 16, null) }],
      metrics: [classificationMetrics({ numClasses: 2, classNames: ['cat', 'dog'] })],
    },
    earlyStopping: { set: 'test', metric: 'accuracy', mode: 'max', patience: 50 },
    checkpoint: { dir, every: 1 },
    ...overrides,
  };
}

const release = (o: TrainOptions) => {
  o.model.dispose();
  (o.loss as GroupDroLoss).dispose();
};

describe('train with @iwlab/models and @iwlab/losses', () => {
  it('resumes exactly with dropout and Group DRO state, and keeps memory flat', async () => {
    const counts: number[] = [];
    const reference = run(await mkdtemp(join(tmpdir(), 'iwlab-zoo-')), {
      callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
    });
    const full = await train(reference);
    expect(full.status).toBe('done');
    expect(counts).toEqual(counts.map(() => counts[0]));
    // @iwlab/metrics' values arrive per set, under their own keys.
    expect(Object.keys(full.history.at(-1)?.eval?.['test'] ?? {})).toContain(
      'fractionPredicted.dog',
    );
    const q = await (reference.loss as GroupDroLoss).groupWeights();
    // q moved away from uniform: the state the checkpoint must carry is real.
    expect(q.some((v) => Math.abs(v - 0.25) > 1e-3)).toBe(true);

    const dir = await mkdtemp(join(tmpdir(), 'iwlab-zoo-'));
    const controller = new AbortController();
    const first = run(dir, {
      signal: controller.signal,
      callbacks: {
        onBatchEnd: (e) => {
          if (e.epoch === 3 && e.stepInEpoch === 1) controller.abort();
        },
      },
    });
    expect((await train(first)).status).toBe('aborted');
    release(first);

    const second = run(dir, { resume: true });
    const resumed = await train(second);
    expect(resumed.resumedEpochs).toBe(3);
    expect(metricsOf(resumed.history)).toEqual(metricsOf(full.history));
    expect(await (second.loss as GroupDroLoss).groupWeights()).toEqual(q);
    release(reference);
    release(second);
  });

  it('stays a plain WeightedLoss to the loop', () => {
    const loss: WeightedLoss = createLoss('ce', {}, { numClasses: 2 });
    expect(loss.name).toBe('ce');
  });
});
