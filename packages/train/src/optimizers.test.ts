import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, type OptimizerSpec } from './optimizers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs `spec` from θ = start over the given gradient sequence; returns θ after each step. */
function trajectory(spec: OptimizerSpec, grads: number[], start = 1, lr = 0.1): number[] {
  const theta = tf.variable(tf.scalar(start));
  const optimizer = createOptimizer(spec);
  const lrT = tf.scalar(lr);
  const out: number[] = [];
  for (const g of grads) {
    const grad = tf.scalar(g);
    optimizer.apply([theta], [grad], lrT);
    grad.dispose();
    out.push(theta.dataSync()[0] as number);
  }
  optimizer.dispose();
  tf.dispose([theta, lrT]);
  return out;
}

describe('optimizers: hand-computed steps', () => {
  it('plain SGD: θ -= lr·g', () => {
    expect(trajectory({ kind: 'sgd', lr: 0.1 }, [1, 1])).toEqual([
      expect.closeTo(0.9, 6),
      expect.closeTo(0.8, 6),
    ]);
  });
  it('heavy-ball momentum: buf = 0.9·buf + g', () => {
    // buf 1 → θ 0.9; buf 1.9 → θ 0.71
    const out = trajectory({ kind: 'sgd', lr: 0.1, momentum: 0.9 }, [1, 1]);
    expect(out[0]).toBeCloseTo(0.9, 6);
    expect(out[1]).toBeCloseTo(0.71, 6);
  });
  it('Nesterov: θ -= lr·(g + m·buf)', () => {
    // buf 1, d 1.9 → 0.81; buf 1.9, d 2.71 → 0.539
    const out = trajectory({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, [1, 1]);
    expect(out[0]).toBeCloseTo(0.81, 6);
    expect(out[1]).toBeCloseTo(0.539, 6);
  });
  it('Adam with bias correction (PyTorch formula)', () => {
    const out = trajectory({ kind: 'adam', lr: 0.1 }, [1, -2]);
    expect(out[0]).toBeCloseTo(0.9, 6);
    expect(out[1]).toBeCloseTo(0.93661035, 6);
  });
  it('coupled and decoupled weight decay differ under Adam (Adam-L2 vs AdamW)', () => {
    // g = 0, θ = 1, wd = 0.1, lr = 1e-3. Coupled: g' = 0.1, Adam's step ≈ lr → 0.999.
    // Decoupled: Adam's step is 0, θ shrinks by lr·wd·θ → 0.9999.
    const coupled = trajectory({ kind: 'adam', lr: 1e-3, weightDecay: 0.1 }, [0], 1, 1e-3);
    const decoupled = trajectory(
      { kind: 'adam', lr: 1e-3, weightDecay: 0.1, decoupledWeightDecay: true },
      [0],
      1,
      1e-3,
    );
    expect(coupled[0]).toBeCloseTo(0.999, 6);
    expect(decoupled[0]).toBeCloseTo(0.9999, 6);
  });
  it('coupled weight decay goes through the momentum buffer, decoupled does not', () => {
    // coupled: g' = 0.1 each step; buf 0.1 → θ 0.99; g' = 0.099, buf 0.189 → θ 0.9711
    const coupled = trajectory({ kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.1 }, [0, 0]);
    expect(coupled[1]).toBeCloseTo(0.9711, 6);
    // decoupled: buf stays 0, θ ← θ(1 - lr·wd) = 0.99 each step → 0.9801
    const decoupled = trajectory(
      { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.1, decoupledWeightDecay: true },
      [0, 0],
    );
    expect(decoupled[1]).toBeCloseTo(0.9801, 6);
  });
});

describe('optimizers: agree with tfjs built-ins on a random gradient sequence', () => {
  const grads = [0.3, -1.2, 2.5, 0.01, -0.7, 1.1];
  function reference(optimizer: tf.Optimizer): number[] {
    const theta = tf.variable(tf.tensor1d([1, -2]));
    const out: number[] = [];
    for (const g of grads) {
      optimizer.applyGradients({ [theta.name]: tf.tensor1d([g, -g]) });
      out.push(theta.dataSync()[0] as number);
    }
    optimizer.dispose();
    theta.dispose();
    return out;
  }
  function ours(spec: OptimizerSpec): number[] {
    const theta = tf.variable(tf.tensor1d([1, -2]));
    const optimizer = createOptimizer(spec);
    const lr = tf.scalar(0.05);
    const out: number[] = [];
    for (const g of grads) {
      optimizer.apply([theta], [tf.tensor1d([g, -g])], lr);
      out.push(theta.dataSync()[0] as number);
    }
    optimizer.dispose();
    tf.dispose([theta, lr]);
    return out;
  }
  it.each([
    ['sgd', { kind: 'sgd', lr: 0.05 }, () => tf.train.sgd(0.05)],
    ['momentum', { kind: 'sgd', lr: 0.05, momentum: 0.8 }, () => tf.train.momentum(0.05, 0.8)],
    [
      'nesterov',
      { kind: 'sgd', lr: 0.05, momentum: 0.8, nesterov: true },
      () => tf.train.momentum(0.05, 0.8, true),
    ],
    [
      'adam',
      { kind: 'adam', lr: 0.05, epsilon: 1e-7 },
      () => tf.train.adam(0.05, 0.9, 0.999, 1e-7),
    ],
  ] as const)('%s', (_name, spec, make) => {
    const expected = reference(make());
    const actual = ours(spec as OptimizerSpec);
    expect(actual).toEqual(expected.map((v) => expect.closeTo(v, 5)));
  });
});

describe('optimizer state', () => {
  it('continues exactly from an exported state', () => {
    const spec: OptimizerSpec = { kind: 'adam', lr: 0.1 };
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([1, 2]));
    const lr = tf.scalar(0.1);
    const first = createOptimizer(spec);
    first.apply([a], [tf.tensor1d([0.5, -1])], lr);
    b.assign(a);
    const second = createOptimizer(spec);
    second.setState(first.getState());
    first.apply([a], [tf.tensor1d([2, 3])], lr);
    second.apply([b], [tf.tensor1d([2, 3])], lr);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    first.dispose();
    second.dispose();
    tf.dispose([a, b, lr]);
  });

  it('rejects impossible settings, naming the field', () => {
    expect(() => createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 1.5 })).toThrow(
      /optimizer\.momentum/,
    );
    expect(() => createOptimizer({ kind: 'sgd', lr: 0.1, nesterov: true })).toThrow(
      /optimizer\.nesterov/,
    );
    expect(() => createOptimizer({ kind: 'sgd', lr: -1 })).toThrow(/optimizer\.lr/);
    expect(() => createOptimizer({ kind: 'rmsprop', lr: 1 } as unknown as OptimizerSpec)).toThrow(
      /optimizer\.kind/,
    );
  });
});
