// The metrics together on the situation they were built for (reference A.3, B.14): logistic
// regression trained by full-batch gradient descent with importance weights on separable 2-D
// data. Theory (Soudry et al. 2018; B&L) says the weights matter early and fade: the boundaries
// of all weights turn towards the same max-margin direction, the fraction predicted positive
// converges, and the normalized margins converge to the same value. The training itself is plain
// JS (fast, and not under test); every measurement goes through this package.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { streamOf } from '../test/helpers.js';
import { boundaryAngle, linearBoundaryNormal } from './boundary.js';
import { fractionPredicted } from './classification.js';
import { evaluate } from './evaluate.js';
import { marginMetrics } from './margins.js';
import { maxMarginSeparator } from './svm.js';
import { weightEffect } from './weight-effect.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const train: number[][] = [];
const labels: number[] = [];
for (let i = 0; i < 10; i++) {
  const a = Math.sin(i * 1.7) * 0.8;
  const b = Math.cos(i * 2.3) * 0.8;
  train.push([1.5 + a, 1 + b], [-1.5 - b, -1 + a]);
  labels.push(1, 0);
}
const test = Array.from({ length: 200 }, (_, i) => [
  Math.sin(i * 0.37) * 3,
  Math.cos(i * 0.91) * 3,
]);
const checkpoints = [1, 10, 100, 1000, 10000, 30000];

/** Full-batch GD on mean_i w_i·log(1 + e^{−ỹ_i(w·x_i + b)}), lr 1, weights of class 1 = r. */
function* gradientDescent(r: number) {
  const raw = labels.map((y) => (y === 1 ? r : 1));
  const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
  const weights = raw.map((v) => v / mean);
  let [w0, w1, b] = [0, 0, 0];
  let step = 0;
  for (const checkpoint of checkpoints) {
    for (; step < checkpoint; step++) {
      let [g0, g1, gb] = [0, 0, 0];
      train.forEach(([x0 = 0, x1 = 0], i) => {
        const sign = labels[i] === 1 ? 1 : -1;
        const g = (-sign * (weights[i] as number)) / (1 + Math.exp(sign * (w0 * x0 + w1 * x1 + b)));
        g0 += g * x0;
        g1 += g * x1;
        gb += g;
      });
      w0 -= g0 / train.length;
      w1 -= g1 / train.length;
      b -= gb / train.length;
    }
    yield [w0, w1, b] as const;
  }
}

describe('importance-weighted logistic regression on separable data', () => {
  it('loses its weight effect and turns towards the max-margin direction', async () => {
    // With a bias, GD's limit is the max-margin separator of the points (x, 1) through the origin.
    const svm = maxMarginSeparator(
      train.map((p) => [...p, 1]),
      labels,
      { bias: false },
    );
    const runs: { weight: number; values: number[] }[] = [];
    const angles: number[][] = [];
    const normalized: number[][] = [];
    for (const r of [1 / 16, 1, 16]) {
      const fractions: number[] = [];
      const runAngles: number[] = [];
      const runMargins: number[] = [];
      for (const [w0, w1, b] of gradientDescent(r)) {
        const kernel = tf.tensor2d([[w0], [w1]]);
        const bias = tf.tensor1d([b]);
        const model = (x: tf.Tensor) =>
          tf.add(tf.matMul(x as tf.Tensor2D, kernel), bias) as tf.Tensor2D;
        const onTest = await evaluate(model, streamOf([{ logits: test, y: test.map(() => 0) }]), [
          fractionPredicted({ numClasses: 2 }),
        ]);
        const onTrain = await evaluate(model, streamOf([{ logits: train, y: labels }]), [
          marginMetrics({
            numClasses: 2,
            normalization: { parameters: () => [kernel, bias], degree: 1 },
          }),
        ]);
        fractions.push(onTest['fractionPredicted.1'] as number);
        runMargins.push(onTrain['normalizedMargin'] as number);
        const normal = [...(await linearBoundaryNormal(kernel)), b];
        runAngles.push(boundaryAngle(normal, svm.weights) as number);
        kernel.dispose();
        bias.dispose();
      }
      runs.push({ weight: r, values: fractions });
      angles.push(runAngles);
      normalized.push(runMargins);
    }
    const effect = weightEffect(runs, { earlyEpochs: 2 });
    expect(effect.earlyMax).toBeGreaterThan(0.05);
    expect(effect.fractionLeft?.at(-1)).toBeLessThan(0.25);
    for (const runAngles of angles) {
      expect(runAngles.at(-1)).toBeLessThan((runAngles[0] as number) / 2);
    }
    const spreadAt = (e: number) => {
      const column = normalized.map((m) => m[e] as number);
      return Math.max(...column) - Math.min(...column);
    };
    expect(spreadAt(checkpoints.length - 1)).toBeLessThan(spreadAt(1) / 2);
    // And every normalized margin is at most the optimum, the SVM's margin in (x, 1) space.
    for (const m of normalized.flat()) expect(m).toBeLessThanOrEqual(svm.margin + 1e-6);
  });
});
