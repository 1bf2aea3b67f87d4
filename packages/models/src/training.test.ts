// One plain-SGD step on every kind: the loss (same dropout masks, same batch) must go down, and
// the L2 penalty is part of the loss where the spec sets it.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposedAfterEach } from './__tests__/disposable-models.js';
import type { ZooModel, ZooSpec } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
const make = disposedAfterEach();

function batchFor(spec: ZooSpec, size: number): { x: tf.Tensor; y: tf.Tensor1D } {
  const y = tf.tensor1d(
    Array.from({ length: size }, (_, i) => i % spec.numClasses),
    'int32',
  );
  if (spec.kind === 'text') {
    const len = spec.inputShape[0] as number;
    const ids = Array.from({ length: size * len }, (_, i) => (i * 7) % spec.vocabSize);
    return { x: tf.tensor2d(ids, [size, len], 'int32'), y };
  }
  return { x: tf.randomNormal([size, ...spec.inputShape], 0, 1, 'float32', 11), y };
}

function loss(m: ZooModel, x: tf.Tensor, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logits = m.apply(x, true);
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(y, m.spec.numClasses)), 1));
    const data = tf.mean(nll);
    const penalty = m.regularizationLoss();
    return (penalty ? tf.add(data, penalty) : data) as tf.Scalar;
  });
}

// Spatial sizes are the smallest each network accepts: the cpu backend's convolution gradients
// are slow, and these tests are about the wiring, not the resolution.
const cases: [string, ZooSpec, number][] = [
  ['logreg', { kind: 'logreg', inputShape: [2], numClasses: 2, seed: 1, l2: 0.1 }, 8],
  [
    'mlp + dropout + BN',
    { kind: 'mlp', inputShape: [2], numClasses: 2, seed: 1, dropout: 0.5, batchNorm: true },
    8,
  ],
  [
    'bl-cnn (20x20)',
    { kind: 'bl-cnn', inputShape: [20, 20, 3], numClasses: 2, seed: 1, dropout: 0.5, l2: 1e-3 },
    2,
  ],
  [
    'small-cnn + BN',
    { kind: 'small-cnn', inputShape: [8, 8, 3], numClasses: 2, seed: 1, batchNorm: true },
    4,
  ],
  ['resnet20 (BN)', { kind: 'resnet20', inputShape: [8, 8, 3], numClasses: 2, seed: 1 }, 4],
  [
    'resnet20 (no BN)',
    { kind: 'resnet20', inputShape: [4, 4, 3], numClasses: 2, seed: 1, batchNorm: false },
    2,
  ],
  [
    'text',
    {
      kind: 'text',
      inputShape: [6],
      numClasses: 2,
      seed: 1,
      vocabSize: 20,
      embeddingDim: 8,
      dropout: 0.2,
    },
    4,
  ],
];

describe('one SGD step', () => {
  it.each(cases)('%s: lowers the loss on its batch', (_name, spec, size) => {
    const m = make(spec);
    const { x, y } = batchFor(spec, size);
    m.dropoutStep = 0;
    const before = loss(m, x, y);
    m.dropoutStep = 0;
    const opt = tf.train.sgd(1e-3);
    opt.minimize(() => loss(m, x, y), false, [...m.trainableVariables]);
    m.dropoutStep = 0;
    const after = loss(m, x, y);
    const [b, a] = [before.dataSync()[0] as number, after.dataSync()[0] as number];
    expect(Number.isFinite(b)).toBe(true);
    expect(a).toBeLessThan(b);
    tf.dispose([x, y, before, after]);
    opt.dispose();
  });
});

describe('memory', () => {
  it.each(cases.filter(([name]) => !name.startsWith('bl-cnn')))(
    '%s: a training step, the penalty and inference leave no tensor behind',
    (_name, spec, size) => {
      const m = make(spec);
      const { x, y } = batchFor(spec, size);
      const opt = tf.train.sgd(1e-3);
      const step = () => {
        opt.minimize(() => loss(m, x, y), false, [...m.trainableVariables]);
        m.apply(x, false).dispose();
        tf.dispose(m.regularizationLoss() ?? []);
      };
      step(); // the first step may allocate lasting state
      const before = tf.memory().numTensors;
      step();
      step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
      opt.dispose();
    },
  );
});
