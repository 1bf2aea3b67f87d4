import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipGradients, globalNorm, validateGradientClip } from './clip.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = async (ts: tf.Tensor[]) =>
  Promise.all(ts.map(async (t) => Array.from(await t.data())));

describe('gradient clipping', () => {
  it('rescales by the global norm across all tensors', async () => {
    // Global norm of [3] and [4] is 5; clipping to 1 gives [0.6] and [0.8].
    const grads = [tf.tensor1d([3]), tf.tensor1d([4])];
    expect((await globalNorm(grads).data())[0]).toBeCloseTo(5, 6);
    const clipped = await values(clipGradients(grads, { maxNorm: 1 }));
    expect(clipped[0]?.[0]).toBeCloseTo(0.6, 6);
    expect(clipped[1]?.[0]).toBeCloseTo(0.8, 6);
  });

  it('leaves gradients under the threshold unchanged', async () => {
    const grads = [tf.tensor1d([0.3, 0.4])];
    expect(await values(clipGradients(grads, { maxNorm: 1 }))).toEqual([
      [expect.closeTo(0.3, 6), expect.closeTo(0.4, 6)],
    ]);
  });

  it('clamps by value, then by norm', async () => {
    const clipped = await values(clipGradients([tf.tensor1d([10, -10, 0.5])], { maxValue: 1 }));
    expect(clipped).toEqual([[1, -1, 0.5]]);
  });

  it('rejects non-positive thresholds', () => {
    expect(() => validateGradientClip({ maxNorm: 0 })).toThrow(/gradientClip\.maxNorm/);
  });
});
