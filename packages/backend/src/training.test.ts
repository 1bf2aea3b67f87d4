// End-to-end checks of the fast kernels inside a real training loop: same loss curve as the cpu
// reference, and no tensor leaked per epoch.
import { Rng } from '@iwlab/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_MODES, useKernelMode } from './__tests__/native-modes.js';
import { initBackend } from './init.js';

interface TinyCnn {
  variables: tf.Variable[];
  logits(x: tf.Tensor4D): tf.Tensor2D;
}

/** conv(same)-relu-maxpool, conv(valid, stride 2)-relu-avgpool, dense: every rewritten kernel. */
function tinyCnn(seed: number): TinyCnn {
  const rng = Rng.fromSeed(seed);
  const init = (shape: number[], scale: number) =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, scale)),
        shape,
      ),
    );
  const f1 = init([3, 3, 3, 4], 0.3);
  const f2 = init([3, 3, 4, 6], 0.2);
  const w = init([6 * 1 * 1, 2], 0.3);
  const b = init([2], 0);
  return {
    variables: [f1, f2, w, b],
    logits: (x) => {
      let h: tf.Tensor4D = tf.relu(tf.conv2d(x, f1 as tf.Tensor4D, 1, 'same'));
      h = tf.maxPool(h, 2, 2, 'same');
      h = tf.relu(tf.conv2d(h, f2 as tf.Tensor4D, 2, 'valid'));
      h = tf.avgPool(h, 2, 2, 'valid');
      return tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]), w as tf.Tensor2D), b);
    },
  };
}

/** Trains for a few epochs on fixed random data; returns the loss of every step and the live tensor count after every epoch. */
async function train(backend: 'cpu' | 'wasm', epochs: number) {
  await tf.setBackend(backend);
  const rng = Rng.fromSeed(7);
  const n = 16;
  const x = tf.tensor4d(
    Float32Array.from({ length: n * 10 * 10 * 3 }, () => rng.normal()),
    [n, 10, 10, 3],
  );
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 2),
      'int32',
    ),
    2,
  );
  const model = tinyCnn(1);
  const optimizer = tf.train.sgd(0.05);
  const losses: number[] = [];
  const tensorsAfterEpoch: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start < n; start += 8) {
      const loss = optimizer.minimize(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.slice(y, [start, 0], [8, 2]),
            model.logits(tf.slice(x, [start, 0, 0, 0], [8, 10, 10, 3])),
          ) as tf.Scalar,
        true,
        model.variables,
      );
      losses.push((await loss?.data())?.[0] ?? Number.NaN);
      loss?.dispose();
    }
    tensorsAfterEpoch.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  tf.dispose([x, y, ...model.variables]);
  return { losses, tensorsAfterEpoch };
}

beforeAll(async () => {
  await initBackend('wasm', { env: {} });
});

/** A tfjs-layers CNN (fused conv + bias + relu, max-pool, dense): the path the model zoo takes. */
async function trainLayersModel(backend: 'cpu' | 'wasm'): Promise<number[]> {
  await tf.setBackend(backend);
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(2),
      }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, kernelInitializer: init(3) }),
    ],
  });
  const rng = Rng.fromSeed(3);
  const x = tf.tensor4d(
    Float32Array.from({ length: 8 * 8 * 8 * 3 }, () => rng.normal()),
    [8, 8, 8, 3],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32'), 2);
  const optimizer = tf.train.sgd(0.1);
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = optimizer.minimize(
      () =>
        tf.losses.softmaxCrossEntropy(
          y,
          model.apply(x, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
      true,
    );
    losses.push((await loss?.data())?.[0] ?? Number.NaN);
    loss?.dispose();
  }
  optimizer.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return losses;
}

describe.each(KERNEL_MODES)('training on wasm with $mode', (mode) => {
  useKernelMode(mode);
  it('a tfjs-layers CNN gives the same loss curve as on the cpu backend', async () => {
    const fast = await trainLayersModel('wasm');
    const reference = await trainLayersModel('cpu');
    expect(Math.abs((reference[5] as number) - (reference[0] as number))).toBeGreaterThan(0.01);
    for (const [i, ref] of reference.entries()) {
      expect(Math.abs((fast[i] as number) - ref)).toBeLessThanOrEqual(
        1e-4 * Math.max(1, Math.abs(ref)),
      );
    }
  });

  it('gives the same loss curve as the cpu backend', async () => {
    const fast = await train('wasm', 5);
    const reference = await train('cpu', 5);
    expect(fast.losses).toHaveLength(10);
    // The loss must move, or equal curves would prove nothing.
    expect(
      Math.abs((reference.losses[9] as number) - (reference.losses[0] as number)),
    ).toBeGreaterThan(0.05);
    for (const [i, ref] of reference.losses.entries()) {
      expect(Math.abs((fast.losses[i] as number) - ref)).toBeLessThanOrEqual(
        1e-4 * Math.max(1, Math.abs(ref)),
      );
    }
  });

  it('keeps the same number of live tensors after every epoch', async () => {
    const { tensorsAfterEpoch } = await train('wasm', 4);
    expect(tensorsAfterEpoch).toHaveLength(4);
    // The first epoch creates the optimizer's state; from then on the count must not grow.
    const settled = tensorsAfterEpoch[0];
    expect(tensorsAfterEpoch.every((count) => count === settled)).toBe(true);
  });
});
