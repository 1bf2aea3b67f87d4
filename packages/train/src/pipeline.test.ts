// The loop fed by @iwlab/datasets' tfjs-data pipeline, as experiments will use it: a 2-D
// importance-weighted logistic regression (reference A.3/A.8) with a class-weight ratio.
import '@tensorflow/tfjs-backend-cpu';
import {
  exampleWeightsFromClasses,
  separableGaussians,
  toBatchStream,
  toEvalSet,
} from '@iwlab/datasets';
import { createLoss } from '@iwlab/losses';
import { fractionPredicted } from '@iwlab/metrics';
import { createModel } from '@iwlab/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from './train.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('train on a @iwlab/datasets stream', () => {
  it('trains a weighted logistic regression with flat memory, and weights move predictions', async () => {
    const data = separableGaussians({ n: 96, seed: 3, margin: 0.2, std: 1.5 });
    const test = toEvalSet('test', separableGaussians({ n: 64, seed: 4, margin: 0.2, std: 1.5 }), {
      batchSize: 64,
    });
    async function positiveFraction(ratio: number): Promise<number> {
      const counts: number[] = [];
      const model = createModel({ kind: 'logreg', inputShape: [2], numClasses: 2, seed: 1 });
      const result = await train({
        model,
        loss: createLoss('ce', {}, { numClasses: 2 }),
        reduction: 'mean',
        data: toBatchStream(data, {
          batchSize: 16,
          seed: 5,
          weights: exampleWeightsFromClasses([1, ratio], data.y),
        }),
        optimizer: { kind: 'sgd', lr: 0.1 },
        epochs: 3,
        seed: 1,
        evaluate: { sets: [test], metrics: [fractionPredicted({ numClasses: 2 })] },
        callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
      });
      model.dispose();
      expect(result.status).toBe('done');
      expect(counts).toEqual(counts.map(() => counts[0]));
      return result.history.at(-1)?.eval?.['test']?.['fractionPredicted.1'] as number;
    }
    // Overlapping classes, early in training: up-weighting class 1 predicts it more often.
    expect(await positiveFraction(16)).toBeGreaterThan(await positiveFraction(1));
  });
});
