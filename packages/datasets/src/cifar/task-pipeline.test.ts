// The whole path of a cat/dog experiment on the real files: load, shift, weight, batch.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_DATA_DIR, realDataMissing } from '../__tests__/data-dir.js';
import { classCounts } from '../dataset.js';
import { CIFAR_HALF, toBatchStream } from '../pipeline.js';
import { subsampleToRatio } from '../shift.js';
import { classWeights, exampleWeightsFromClasses } from '../weights.js';
import { loadCatDog } from './catdog.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cat/dog experiment data path', () => {
  it.skipIf(realDataMissing('cifar10-catdog'))(
    'subsampled cats keep their own pixels and labels through to the batch',
    async () => {
      const task = loadCatDog({ dataDir: REAL_DATA_DIR, noise: false });
      const shifted = subsampleToRatio(task.train, [1, 10], 5);
      expect(classCounts(shifted.data)).toEqual([400, 4000]);
      const counts = classCounts(shifted.data);
      const w = classWeights({ kind: 'inverse-frequency' }, counts);
      const stream = toBatchStream(shifted.data, {
        batchSize: 32,
        seed: 1,
        preprocess: CIFAR_HALF,
        weights: exampleWeightsFromClasses(w, shifted.data.y),
      });
      const before = tf.memory().numTensors;
      const order = stream.order(0);
      for await (const batch of stream.epoch(0)) {
        expect(batch.x.shape).toEqual([32, 32, 32, 3]);
        expect(batch.x.dtype).toBe('float32');
        const [x, y, bw] = await Promise.all([batch.x.data(), batch.y.data(), batch.w.data()]);
        for (let k = 0; k < 32; k++) {
          const kept = order[k]!;
          const original = shifted.indices[kept]!;
          expect(y[k]).toBe(task.train.y[original]);
          expect(bw[k]).toBeCloseTo(w[y[k]!]!, 5);
          expect(x[k * 3072]).toBeCloseTo((task.train.x[original * 3072]! / 255 - 0.5) / 0.5, 5);
        }
        tf.dispose([batch.x, batch.y, batch.w]);
        break;
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
