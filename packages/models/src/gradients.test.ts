// The zoo's own layers (masked pooling, option-A shortcut, seeded dropout, the layers on the data) have no tfjs tests
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
import { InputConv2D, InputDense } from './internal/data-layers.js';

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

/** Output, input gradient and weight gradients of `layer` on `x` against a fixed random cotangent. */
function valuesAndGradients(layer: tfl.layers.Layer, x: tf.Tensor) {
  const out = layer.apply(x) as tf.Tensor;
  const c = tf.randomNormal(out.shape, 0, 1, 'float32', 5);
  const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, c));
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, weights);
  const dx = tf.grad(f)(x);
  tf.dispose([c, value]);
  return [out, dx, ...weights.map((w) => grads[w.name] as tf.Tensor)];
}

/** The zoo's layer and tfjs-layers' agree in shapes, values and every gradient. */
function expectSameLayer(ours: tfl.layers.Layer, theirs: tfl.layers.Layer, x: tf.Tensor) {
  const a = valuesAndGradients(ours, x);
  const b = valuesAndGradients(theirs, x);
  const inputShape = [null, ...x.shape.slice(1)];
  expect(ours.computeOutputShape(inputShape)).toEqual(theirs.computeOutputShape(inputShape));
  expect(a.map((t) => t.shape)).toEqual(b.map((t) => t.shape));
  expect(ours.weights.map((w) => w.originalName.split('/').pop())).toEqual(
    theirs.weights.map((w) => w.originalName.split('/').pop()),
  );
  a.forEach((t, i) => {
    const expected = b[i]?.dataSync() as Float32Array;
    for (const [j, v] of t.dataSync().entries()) {
      expect(v).toBeCloseTo(expected[j] as number, 5);
    }
  });
  tf.dispose([...a, ...b]);
  ours.dispose();
  theirs.dispose();
}

/** Counts the matmul and convolution kernels of one gradient step through `m`'s variables. */
async function stepKernels(m: ZooModel, x: tf.Tensor): Promise<Map<string, number>> {
  const profile = await tf.profile(() => {
    const loss = () => tf.sum(m.apply(x, true)) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, [...m.trainableVariables]);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const counts = new Map<string, number>();
  for (const { name } of profile.kernels) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

const init = () => tfl.initializers.glorotUniform({ seed: 7 });
const biasInit = () => tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: 8 });

describe('the layers on the data (InputConv2D, InputDense)', () => {
  const convCases = [
    { padding: 'same', strides: 1, bias: true },
    { padding: 'valid', strides: 1, bias: true },
    { padding: 'same', strides: 2, bias: false },
    { padding: 'valid', strides: 2, bias: true },
  ] as const;
  for (const { padding, strides, bias } of convCases) {
    it(`InputConv2D matches Conv2D: ${padding}, stride ${strides}, ${bias ? 'with' : 'no'} bias`, () => {
      const common = { filters: 4, kernelSize: 3, strides, padding, name: 'c' } as const;
      const biases = () => (bias ? { biasInitializer: biasInit() } : {});
      const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 4);
      expectSameLayer(
        new InputConv2D({ ...common, kernelInitializer: init(), ...biases() }),
        tfl.layers.conv2d({ ...common, useBias: bias, kernelInitializer: init(), ...biases() }),
        x,
      );
      x.dispose();
    });
  }

  for (const [shape, bias] of [
    [[5, 3], true],
    [[5, 3], false],
    [[2, 4, 3], true],
  ] as const) {
    it(`InputDense matches Dense: input [${shape}], ${bias ? 'with' : 'no'} bias`, () => {
      const biases = () => (bias ? { biasInitializer: biasInit() } : {});
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 4);
      expectSameLayer(
        new InputDense({ units: 4, kernelInitializer: init(), ...biases(), name: 'd' }),
        tfl.layers.dense({ units: 4, useBias: bias, kernelInitializer: init(), ...biases() }),
        x,
      );
      x.dispose();
    });
  }

  it("spares a zoo CNN's training step the data's gradient, which stays available", async () => {
    const m = make({ kind: 'small-cnn', inputShape: [8, 8, 3], numClasses: 2, seed: 1 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const kernels = await stepKernels(m, x);
    // Two convolutions: conv2's input gradient feeds conv1's weights; conv1's would feed nothing.
    expect(kernels.get('Conv2DBackpropFilter')).toBe(2);
    expect(kernels.get('Conv2DBackpropInput')).toBe(1);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(m.apply(input, true)))(x);
    expect(dx.shape).toEqual(x.shape);
    expect(Array.from(dx.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([x, dx]);
  });

  it('spares dense models the gradient of the data, through flatten and input dropout too', async () => {
    // Logistic regression: the forward matmul and the kernel's gradient, not the data's.
    const logreg = make({ kind: 'logreg', inputShape: [3], numClasses: 2, seed: 1 });
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
    const matmuls = (k: Map<string, number>) =>
      (k.get('BatchMatMul') ?? 0) + (k.get('_FusedMatMul') ?? 0);
    expect(matmuls(await stepKernels(logreg, x))).toBe(2);
    // An MLP on [2, 3] inputs (flattened) with input dropout: two forward matmuls, two kernel
    // gradients and dense2's input gradient (which dense1's weights need); not dense1's.
    const mlp = make({
      kind: 'mlp',
      inputShape: [2, 3],
      numClasses: 2,
      seed: 1,
      hidden: [4],
      dropout: 0.2,
      dropoutAt: ['input'],
    });
    const x2 = tf.randomNormal([4, 2, 3], 0, 1, 'float32', 3);
    expect(matmuls(await stepKernels(mlp, x2))).toBe(5);
    expect(mlp.summary().layers.find((l) => l.name === 'dense1')?.type).toBe('IwlabInputDense');
    const dx = tf.grad((input: tf.Tensor) => tf.sum(mlp.apply(input, true)))(x2);
    expect(dx.shape).toEqual(x2.shape);
    tf.dispose([x, x2, dx]);
  });
});
