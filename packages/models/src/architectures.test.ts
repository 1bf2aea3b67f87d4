import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposedAfterEach } from './__tests__/disposable-models.js';
import type { ZooModel } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const make = disposedAfterEach();

function shapes(m: ZooModel): Record<string, readonly (number | null)[]> {
  return Object.fromEntries(m.summary().layers.map((l) => [l.name, l.outputShape]));
}

const conv = (k: number, cin: number, cout: number, bias = true) =>
  k * k * cin * cout + (bias ? cout : 0);
const fc = (nin: number, nout: number) => nin * nout + nout;

describe("Byrd & Lipton's CNN (reference A.4.2)", () => {
  it('has the table’s output shape at every layer and exactly 1,522,754 parameters at K=2', () => {
    const m = make({ kind: 'bl-cnn', inputShape: [32, 32, 3], numClasses: 2, seed: 1 });
    const expected =
      conv(3, 3, 64) +
      conv(3, 64, 64) +
      conv(3, 64, 128) +
      2 * conv(3, 128, 128) +
      fc(2048, 512) +
      fc(512, 128) +
      fc(128, 2);
    expect(expected).toBe(1_522_754);
    const s = m.summary();
    expect(s.totalParams).toBe(1_522_754);
    expect(s.trainableParams).toBe(1_522_754);
    expect(shapes(m)).toMatchObject({
      conv1: [null, 30, 30, 64],
      conv2: [null, 28, 28, 64],
      pool1: [null, 14, 14, 64],
      conv3: [null, 12, 12, 128],
      conv4: [null, 10, 10, 128],
      conv5: [null, 8, 8, 128],
      pool2: [null, 4, 4, 128],
      flatten: [null, 2048],
      dense1: [null, 512],
      dense2: [null, 128],
      logits: [null, 2],
    });
    // L2 covers kernels only: everything but the 64+64+128*3+512+128+2 biases.
    expect(s.regularizedParams).toBe(1_522_754 - (64 * 2 + 128 * 3 + 512 + 128 + 2));
  });

  it('puts the dropout arm after the two hidden dense layers and shows it in the summary', () => {
    const m = make({
      kind: 'bl-cnn',
      inputShape: [32, 32, 3],
      numClasses: 2,
      seed: 1,
      dropout: 0.5,
    });
    const names = m.summary().layers.map((l) => l.name);
    expect(names.filter((n) => n.includes('dropout'))).toEqual([
      'dense1_dropout',
      'dense2_dropout',
    ]);
    expect(m.summary().regularization).toMatchObject({
      dropoutRate: 0.5,
      dropoutAt: ['dense'],
      batchNorm: false,
    });
  });

  it('rejects inputs of the wrong shape, saying which shape it expects', () => {
    const m = make({ kind: 'bl-cnn', inputShape: [32, 32, 3], numClasses: 2, seed: 1 });
    const x = tf.zeros([2, 32, 32]);
    expect(() => m.apply(x, false)).toThrow(
      /field x: bl-cnn expects inputs of shape \[batch, 32, 32, 3\], got \[2, 32, 32\]/,
    );
    x.dispose();
  });

  it('gives logits of shape [B, 2] for a batch of 2', () => {
    const m = make({ kind: 'bl-cnn', inputShape: [32, 32, 3], numClasses: 2, seed: 1 });
    const y = tf.tidy(() => m.apply(tf.zeros([2, 32, 32, 3]), false));
    expect(y.shape).toEqual([2, 2]);
    y.dispose();
  });
});

describe('small CNN', () => {
  it('is conv32-pool-conv64-pool-fc128-fc2 with same padding', () => {
    const m = make({ kind: 'small-cnn', inputShape: [32, 32, 3], numClasses: 2, seed: 1 });
    expect(m.summary().totalParams).toBe(
      conv(3, 3, 32) + conv(3, 32, 64) + fc(8 * 8 * 64, 128) + fc(128, 2),
    );
    expect(shapes(m)).toMatchObject({
      conv1: [null, 32, 32, 32],
      pool1: [null, 16, 16, 32],
      conv2: [null, 16, 16, 64],
      pool2: [null, 8, 8, 64],
      dense1: [null, 128],
      logits: [null, 2],
    });
  });

  it('with batch norm: BN after each conv and hidden dense, convs without bias', () => {
    const m = make({
      kind: 'small-cnn',
      inputShape: [32, 32, 3],
      numClasses: 2,
      seed: 1,
      batchNorm: true,
    });
    const s = m.summary();
    const bn = (c: number) => 4 * c; // γ, β trainable; moving mean/variance not
    expect(s.totalParams).toBe(
      conv(3, 3, 32, false) +
        bn(32) +
        conv(3, 32, 64, false) +
        bn(64) +
        4096 * 128 +
        bn(128) +
        fc(128, 2),
    );
    expect(s.nonTrainableParams).toBe(2 * (32 + 64 + 128));
  });
});

describe('CIFAR ResNets', () => {
  // He et al. (option A shortcuts) and the 32x32 ResNet-18: the counts every CIFAR codebase prints.
  it.each([
    ['resnet20', 269_722],
    ['resnet32', 464_154],
    ['resnet18', 11_173_962],
  ] as const)('%s has %d trainable parameters at K=10', (kind, count) => {
    const m = make({ kind, inputShape: [32, 32, 3], numClasses: 10, seed: 1 });
    expect(m.summary().trainableParams).toBe(count);
  });

  it("the hjw reproduction's ResNet: 5x5 stem, 2 blocks each of 64/128/256, projection shortcuts", () => {
    const m = make({ kind: 'resnet-hjw', inputShape: [32, 32, 3], numClasses: 2, seed: 1 });
    const bn = (c: number) => 2 * c;
    const block = (cin: number, cout: number) =>
      conv(3, cin, cout, false) +
      bn(cout) +
      conv(3, cout, cout, false) +
      bn(cout) +
      (cin === cout ? 0 : conv(1, cin, cout, false) + bn(cout));
    const expected =
      conv(5, 3, 64, false) +
      bn(64) +
      block(64, 64) * 2 +
      block(64, 128) +
      block(128, 128) +
      block(128, 256) +
      block(256, 256) +
      fc(256, 2);
    expect(expected).toBe(2_778_690);
    expect(m.summary().trainableParams).toBe(expected);
    expect(shapes(m)).toMatchObject({
      stem_conv: [null, 32, 32, 64],
      stage2_block1_relu2: [null, 16, 16, 128],
      stage3_block2_relu2: [null, 8, 8, 256],
      avg_pool: [null, 256],
    });
  });

  it('ResNet-20 downsamples 32→16→8 with widths 16/32/64', () => {
    const m = make({ kind: 'resnet20', inputShape: [32, 32, 3], numClasses: 10, seed: 1 });
    expect(shapes(m)).toMatchObject({
      stem_relu: [null, 32, 32, 16],
      stage1_block3_relu2: [null, 32, 32, 16],
      // PyTorch-style symmetric padding, then a 'valid' stride-2 conv.
      stage2_block1_pad: [null, 34, 34, 16],
      stage2_block1_conv1: [null, 16, 16, 32],
      stage2_block1_shortcut: [null, 16, 16, 32],
      stage2_block3_relu2: [null, 16, 16, 32],
      stage3_block3_relu2: [null, 8, 8, 64],
      avg_pool: [null, 64],
      logits: [null, 10],
    });
  });

  it('switches batch norm off (the paper’s BN arm): no BN layers, convs regain biases', () => {
    const m = make({
      kind: 'resnet20',
      inputShape: [32, 32, 3],
      numClasses: 10,
      seed: 1,
      batchNorm: false,
    });
    const s = m.summary();
    expect(s.layers.some((l) => l.type === 'BatchNormalization')).toBe(false);
    const bnParams = 2 * (16 + 6 * 16 + 6 * 32 + 6 * 64);
    const convBiases = 16 + 6 * 16 + 6 * 32 + 6 * 64;
    expect(s.trainableParams).toBe(269_722 - bnParams + convBiases);
    expect(s.nonTrainableParams).toBe(0);
    expect(s.regularization.batchNorm).toBe(false);
  });

  it('zero-pads the option-A shortcut: x[:, ::2, ::2, :] then zero channels', () => {
    const m = make({ kind: 'resnet20', inputShape: [8, 8, 3], numClasses: 2, seed: 1 });
    const layer = m.network.getLayer('stage2_block1_shortcut');
    const x = tf.reshape(tf.range(0, 4 * 4 * 2), [1, 4, 4, 2]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2, 32]);
    const v = y.arraySync() as number[][][][];
    expect(v[0]?.[0]?.[1]?.slice(0, 3)).toEqual([4, 5, 0]); // x[0, 0, 2, :] = [4, 5]
    expect(v[0]?.[1]?.[1]?.slice(0, 2)).toEqual([20, 21]); // x[0, 2, 2, :]
    tf.dispose([x, y]);
  });
});

describe('MLP, logistic regression and text model', () => {
  it('logistic regression is x·W + b', () => {
    const m = make({ kind: 'logreg', inputShape: [2], numClasses: 2, seed: 3 });
    expect(m.summary().totalParams).toBe(6);
    const [w, b] = m.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    const x = tf.tensor2d([
      [1, -2],
      [0.5, 3],
    ]);
    const y = m.apply(x, false);
    const W = w.arraySync();
    const B = b.arraySync();
    const expected = [
      [1, -2],
      [0.5, 3],
    ].map((row) =>
      [0, 1].map(
        (k) =>
          (row[0] as number) * (W[0]?.[k] ?? 0) +
          (row[1] as number) * (W[1]?.[k] ?? 0) +
          (B[k] ?? 0),
      ),
    );
    const got = y.arraySync();
    expected.flat().forEach((e, i) => {
      expect(got.flat()[i]).toBeCloseTo(e, 5);
    });
    tf.dispose([w, b, x, y]);
  });

  it('MLP has the widths asked for (A.3: 2→64→K)', () => {
    const m = make({
      kind: 'mlp',
      inputShape: [2],
      numClasses: 2,
      seed: 1,
      hidden: [64, 32],
      activation: 'tanh',
    });
    expect(m.summary().totalParams).toBe(fc(2, 64) + fc(64, 32) + fc(32, 2));
    expect(shapes(m)).toMatchObject({
      dense1: [null, 64],
      dense1_tanh: [null, 64],
      dense2: [null, 32],
    });
  });

  it('text model pools over real tokens only (id 0 is padding)', () => {
    const m = make({
      kind: 'text',
      inputShape: [5],
      numClasses: 2,
      seed: 1,
      vocabSize: 10,
      embeddingDim: 4,
      hidden: [],
    });
    expect(m.summary().totalParams).toBe(10 * 4 + fc(4, 2));
    const [table, w, b] = m.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const E = table.arraySync();
    const mean = [0, 1, 2, 3].map((d) => ((E[3]?.[d] ?? 0) + (E[7]?.[d] ?? 0)) / 2);
    const W = w.arraySync();
    const B = b.arraySync();
    const expected = [0, 1].map((k) =>
      mean.reduce((s, v, d) => s + v * (W[d]?.[k] ?? 0), B[k] ?? 0),
    );
    const y = m.apply(
      tf.tensor2d(
        [
          [3, 7, 0, 0, 0],
          [0, 0, 0, 0, 0],
        ],
        [2, 5],
        'int32',
      ),
      false,
    );
    const got = y.arraySync();
    expected.forEach((e, k) => {
      expect(got[0]?.[k]).toBeCloseTo(e, 5);
    });
    // An all-padding message pools to the zero vector: logits are the bias.
    B.forEach((bk, k) => {
      expect(got[1]?.[k]).toBeCloseTo(bk, 6);
    });
    tf.dispose([table, w, b, y]);
  });

  it('max pooling ignores padding even when every real value is negative', () => {
    const m = make({
      kind: 'text',
      inputShape: [3],
      numClasses: 2,
      seed: 1,
      vocabSize: 4,
      embeddingDim: 2,
      hidden: [],
      pooling: 'max',
    });
    m.setWeights([
      tf.tensor2d([
        [5, 5],
        [-1, -2],
        [-3, 0.5],
        [0, 0],
      ]),
      tf.eye(2),
      tf.zeros([2]),
    ]);
    const y = m.apply(tf.tensor2d([[1, 2, 0]], [1, 3], 'int32'), false);
    expect(Array.from(y.dataSync())).toEqual([-1, 0.5]);
    y.dispose();
  });
});
