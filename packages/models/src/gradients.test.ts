// The zoo's own layers (masked pooling, option-A shortcut, seeded dropout, input convolution) have no tfjs tests
// behind them, so their gradients are checked here against central finite differences, in
// float32 with a step and tolerance to match; smooth activations keep the differences off ReLU kinks.
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposedAfterEach } from './__tests__/disposable-models.js';
import type { ZooModel, ZooSpec } from './index.js';
import { ChannelPadShortcut } from './internal/channel-pad-shortcut.js';
import { InputConv2D } from './internal/input-conv.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
const make = disposedAfterEach();

/** A smooth scalar of the logits, so every logit's gradient matters. */
function objective(m: ZooModel, x: tf.Tensor, training: boolean): tf.Scalar {
  return tf.tidy(() => {
    const logits = m.apply(x, training);
    const c = tf.reshape(tf.linspace(-1, 1, logits.size), logits.shape);
    return tf.sum(tf.mul(tf.tanh(logits), c)) as tf.Scalar;
  });
}

function checkGradients(spec: ZooSpec, x: tf.Tensor, training = false, eps = 1e-2): void {
  const m = make(spec);
  const rng = Rng.fromSeed(3);
  const step = () => {
    // Dropout masks must be the same in every evaluation of one check.
    if (training) m.dropoutStep = 0;
  };
  step();
  const { grads } = tf.variableGrads(() => objective(m, x, training), [...m.trainableVariables]);
  let checked = 0;
  for (const v of m.trainableVariables) {
    const g = grads[v.name]?.dataSync() as Float32Array;
    const base = v.dataSync().slice();
    for (let trial = 0; trial < 3; trial++) {
      const i = rng.int(0, base.length - 1);
      const at = (delta: number) => {
        const p = base.slice();
        p[i] = (p[i] as number) + delta;
        v.assign(tf.tensor(p, v.shape));
        step();
        const o = objective(m, x, training);
        const value = o.dataSync()[0] as number;
        o.dispose();
        return value;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      expect(g[i], `d/d ${v.name}[${i}]`).toBeCloseTo(numeric, 2);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(0);
  tf.dispose(grads);
}

describe('gradients match central finite differences', () => {
  it('text model with masked mean pooling', () => {
    const ids = tf.tensor2d(
      [
        [1, 4, 4, 0],
        [2, 0, 0, 0],
        [3, 1, 2, 5],
      ],
      [3, 4],
      'int32',
    );
    checkGradients(
      {
        kind: 'text',
        inputShape: [4],
        numClasses: 2,
        seed: 1,
        vocabSize: 6,
        embeddingDim: 3,
        hidden: [4],
        activation: 'tanh',
      },
      ids,
    );
    ids.dispose();
  });

  it('text model with masked max pooling', () => {
    const ids = tf.tensor2d(
      [
        [1, 4, 3, 0],
        [2, 0, 0, 0],
      ],
      [2, 4],
      'int32',
    );
    checkGradients(
      {
        kind: 'text',
        inputShape: [4],
        numClasses: 2,
        seed: 2,
        vocabSize: 6,
        embeddingDim: 3,
        hidden: [],
        pooling: 'max',
      },
      ids,
    );
    ids.dispose();
  });

  it('the option-A shortcut (subsample + zero channels) passes gradients to the kept pixels only', () => {
    // A deep ReLU net is a poor subject for finite differences (every kink within eps of a unit
    // breaks them), so the zoo's own ResNet layer is checked alone; it is linear, so exactly.
    const layer = new ChannelPadShortcut({ stride: 2, outChannels: 4, name: 'shortcut' });
    const x = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 5);
    const c = tf.randomNormal([2, 2, 2, 4], 0, 1, 'float32', 6);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, c));
    const analytic = tf.grad(f)(x);
    const base = x.dataSync().slice();
    const g = analytic.dataSync();
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) => {
        const p = base.slice();
        p[i] = (p[i] as number) + delta;
        return tf.tidy(() => f(tf.tensor(p, x.shape)).dataSync()[0] as number);
      };
      expect(g[i], `d/dx[${i}]`).toBeCloseTo((at(1e-2) - at(-1e-2)) / 2e-2, 3);
    }
    // x[:, 1, :, :] is skipped by the stride: no gradient there.
    const rows = analytic.arraySync() as number[][][][];
    expect(rows[0]?.[1]?.flat().every((v) => v === 0)).toBe(true);
    tf.dispose([x, c, analytic]);
  });

  it('MLP with batch norm in training mode (batch statistics)', () => {
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 9);
    checkGradients(
      {
        kind: 'mlp',
        inputShape: [3],
        numClasses: 2,
        seed: 1,
        hidden: [4],
        batchNorm: true,
        activation: 'tanh',
      },
      x,
      true,
      1e-3,
    );
    x.dispose();
  });

  it('small CNN with batch norm in training mode', () => {
    const x = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 9);
    checkGradients(
      { kind: 'small-cnn', inputShape: [4, 4, 1], numClasses: 2, seed: 1, batchNorm: true },
      x,
      true,
      1e-3,
    );
    x.dispose();
  });

  it('MLP with dropout in training mode (fixed mask)', () => {
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 8);
    checkGradients(
      { kind: 'mlp', inputShape: [3], numClasses: 3, seed: 1, hidden: [5], dropout: 0.3 },
      x,
      true,
    );
    x.dispose();
  });
});

describe('the convolution on the input (InputConv2D)', () => {
  const cases = [
    { padding: 'same', strides: 1, bias: true },
    { padding: 'valid', strides: 1, bias: true },
    { padding: 'same', strides: 2, bias: false },
    { padding: 'valid', strides: 2, bias: true },
  ] as const;
  for (const { padding, strides, bias } of cases) {
    it(`matches tfjs-layers' Conv2D: ${padding}, stride ${strides}, ${bias ? 'with' : 'no'} bias`, () => {
      const init = () => tfl.initializers.glorotUniform({ seed: 7 });
      const biasInit = () => tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: 8 });
      const common = { filters: 4, kernelSize: 3, strides, padding, name: 'c' } as const;
      const ours = new InputConv2D({
        ...common,
        kernelInitializer: init(),
        ...(bias ? { biasInitializer: biasInit() } : {}),
      });
      const theirs = tfl.layers.conv2d({
        ...common,
        useBias: bias,
        kernelInitializer: init(),
        ...(bias ? { biasInitializer: biasInit() } : {}),
      });
      const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 4);
      const run = (layer: tfl.layers.Layer) => {
        const out = layer.apply(x) as tf.Tensor;
        const c = tf.randomNormal(out.shape, 0, 1, 'float32', 5);
        const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, c));
        const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, weights);
        const dx = tf.grad(f)(x);
        const result = [out, dx, ...weights.map((w) => grads[w.name] as tf.Tensor)];
        return { result, shape: layer.computeOutputShape([null, 7, 6, 3]) };
      };
      const a = run(ours);
      const b = run(theirs);
      expect(a.shape).toEqual(b.shape);
      expect(a.result.map((t) => t.shape)).toEqual(b.result.map((t) => t.shape));
      expect(ours.weights.map((w) => w.originalName.split('/').pop())).toEqual(
        bias ? ['kernel', 'bias'] : ['kernel'],
      );
      a.result.forEach((t, i) => {
        const expected = b.result[i]?.dataSync() as Float32Array;
        for (const [j, v] of t.dataSync().entries()) {
          expect(v).toBeCloseTo(expected[j] as number, 5);
        }
      });
      tf.dispose([x, ...a.result, ...b.result]);
      ours.dispose();
      theirs.dispose();
    });
  }

  it("spares a zoo CNN's training step the data's gradient, which stays available", async () => {
    const m = make({ kind: 'small-cnn', inputShape: [8, 8, 3], numClasses: 2, seed: 1 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const loss = () => tf.sum(m.apply(x, true)) as tf.Scalar;
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(loss, [...m.trainableVariables]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    const kernels = profile.kernels.map((k) => k.name);
    // Two convolutions: conv2's input gradient feeds conv1's weights; conv1's would feed nothing.
    expect(kernels.filter((k) => k === 'Conv2DBackpropFilter')).toHaveLength(2);
    expect(kernels.filter((k) => k === 'Conv2DBackpropInput')).toHaveLength(1);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(m.apply(input, true)))(x);
    expect(dx.shape).toEqual(x.shape);
    expect(Array.from(dx.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([x, dx]);
  });
});
