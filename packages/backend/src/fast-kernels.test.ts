import { Rng } from '@iwlab/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectSameAsCpu as compareWithCpu,
  on,
  relativeError,
  values,
} from './__tests__/compare.js';
import { KERNEL_MODES, nativeCalls, useKernelMode } from './__tests__/native-modes.js';
import {
  installedFastKernels,
  installFastKernels,
  nativeKernelsInUse,
  uninstallFastKernels,
} from './fast-kernels.js';
import { initBackend } from './init.js';

type Case = { name: string; build: () => tf.Tensor[] };

const expectSameAsCpu = (build: () => tf.Tensor[], tolerance = 1e-4) =>
  compareWithCpu('wasm', build, tolerance);

beforeAll(async () => {
  await initBackend('wasm', { env: {} });
  // Every comparison below is only meaningful if the replacements are in place.
  const nativeOnly =
    nativeKernelsInUse() === undefined
      ? []
      : ['Conv2D', 'FusedConv2D', 'Multiply', 'Add', 'Sub', 'FusedBatchNorm'];
  expect([...installedFastKernels('wasm')].sort()).toEqual(
    [
      'AvgPoolGrad',
      'BatchMatMul',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'MaxPoolGrad',
      'Mean',
      'Sum',
      'Tile',
      'Identity',
      '_FusedMatMul',
      ...nativeOnly,
    ].sort(),
  );
});

describe.each(KERNEL_MODES)(
  'convolutions with $mode give the cpu backend stock results',
  (mode) => {
    useKernelMode(mode);
    const rng = Rng.fromSeed(2019);
    const convCases: Case[] = [];
    for (let i = 0; i < 16; i++) {
      const batch = rng.int(1, 3);
      const size = rng.int(5, 9);
      const width = rng.int(5, 9);
      // Few input channels take the im2col path, more take the swapped-convolution path; oneDNN
      // keeps NHWC below 8 channels on either side and uses its blocked layouts above.
      const inC = i < 6 ? rng.int(1, 5) : rng.int(9, 12);
      const outC = i < 14 ? rng.int(1, 5) : rng.int(8, 17);
      const k = rng.int(1, 3);
      const stride = (i % 2) + 1;
      const pad = i % 4 < 2 ? 'same' : 'valid';
      const seed = rng.seed();
      convCases.push({
        name: `conv2d x[${batch},${size},${width},${inC}] k${k} ${inC}->${outC} stride ${stride} ${pad}`,
        build: () => {
          const r = Rng.fromSeed(seed);
          const x = values(r, [batch, size, width, inC]) as tf.Tensor4D;
          const f = values(r, [k, k, inC, outC]) as tf.Tensor4D;
          const y = tf.conv2d(x, f, stride, pad);
          const dy = values(r, y.shape);
          const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dy)),
          )([x, f]);
          return [y, dx as tf.Tensor, df as tf.Tensor];
        },
      });
    }
    for (const c of convCases) it(c.name, () => expectSameAsCpu(c.build));

    it.each([
      [3, 4],
      [16, 24],
    ])('fused conv2d with bias and relu (the tfjs-layers path), %i->%i channels', (inC, outC) =>
      expectSameAsCpu(() => {
        const r = Rng.fromSeed(5);
        const x = values(r, [2, 8, 8, inC]);
        const f = values(r, [3, 3, inC, outC]);
        const bias = values(r, [outC]);
        const [dx, df, db] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(
            tf.square(
              tf.fused.conv2d({
                x: a as tf.Tensor4D,
                filter: b as tf.Tensor4D,
                strides: 1,
                pad: 'valid',
                bias: c,
                activation: 'relu',
              }),
            ),
          ),
        )([x, f, bias]);
        return [dx as tf.Tensor, df as tf.Tensor, db as tf.Tensor];
      }),
    );

    it('does not leak tensors inside the replaced convolution kernels', async () => {
      await tf.setBackend('wasm');
      const x = tf.ones([2, 6, 6, 2]) as tf.Tensor4D;
      const f = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), 2, 2, 'same')),
      )([x, f]);
      tf.dispose(grads);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, f]);
    });

    it('ran the convolutions above through this mode', () => {
      // 16 cases x (forward + 2 gradients), the fused ones and the leak check.
      if (mode.native() === undefined) expect(nativeCalls()).toBe(0);
      else expect(nativeCalls()).toBeGreaterThanOrEqual(16 * 3 + 2 * 3);
    });
  },
);

describe.each(KERNEL_MODES)('matmuls and pooling with $mode give the cpu results', (mode) => {
  useKernelMode(mode);
  for (const [transposeA, transposeB] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    for (const [m, k, n] of [
      [3, 7, 5],
      [40, 2, 30],
      [2, 50, 3],
    ] as const) {
      it(`matMul ${m}x${k}x${n} transposeA=${transposeA} transposeB=${transposeB}`, () =>
        expectSameAsCpu(() => {
          const r = Rng.fromSeed(m * 100 + k * 10 + n);
          const a = values(r, transposeA ? [k, m] : [m, k]) as tf.Tensor2D;
          const b = values(r, transposeB ? [n, k] : [k, n]) as tf.Tensor2D;
          return [tf.matMul(a, b, transposeA, transposeB)];
        }));
    }
  }

  it('batched matMul with transposes, and dense-layer gradients', () =>
    expectSameAsCpu(() => {
      const r = Rng.fromSeed(9);
      const a = values(r, [3, 4, 6]) as tf.Tensor3D;
      const b = values(r, [3, 5, 6]) as tf.Tensor3D;
      const x = values(r, [7, 6]);
      const w = values(r, [6, 3]);
      const [dx, dw] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))),
      )([x, w]);
      return [tf.matMul(a, b, false, true), dx as tf.Tensor, dw as tf.Tensor];
    }));

  it.each([
    ['relu', false, false],
    ['linear', true, false],
    ['relu', false, true],
    ['elu', false, false],
    ['elu', true, true],
  ] as const)(
    'fused matMul + bias, %s, transposeA=%s transposeB=%s, and its gradients',
    (activation, ta, tb) =>
      expectSameAsCpu(() => {
        const r = Rng.fromSeed(10);
        const x = values(r, ta ? [6, 7] : [7, 6]) as tf.Tensor2D;
        const w = values(r, tb ? [3, 6] : [6, 3]) as tf.Tensor2D;
        const bias = values(r, [3]);
        const dense = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
          tf.fused.matMul({
            a: p as tf.Tensor2D,
            b: q as tf.Tensor2D,
            transposeA: ta,
            transposeB: tb,
            bias: c,
            activation,
          });
        const grads = tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.square(dense(p, q, c))),
        )([x, w, bias]);
        return [dense(x, w, bias), ...grads];
      }),
  );

  for (const [size, filter, stride, pad] of [
    [8, 2, 2, 'valid'],
    [7, 2, 2, 'same'],
    [9, 3, 2, 'same'],
    [6, 3, 1, 'valid'],
  ] as const) {
    it(`maxPool and avgPool gradients, ${size}x${size} window ${filter} stride ${stride} ${pad}`, () =>
      expectSameAsCpu(() => {
        const r = Rng.fromSeed(size * 10 + filter);
        // relu makes ties (windows of zeros): the gradient must go to the first maximum.
        const x = tf.relu(values(r, [2, size, size, 3])) as tf.Tensor4D;
        const dyMax = values(r, tf.maxPool(x, filter, stride, pad).shape);
        const dyAvg = values(r, tf.avgPool(x, filter, stride, pad).shape);
        const dMax = tf.grad((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, filter, stride, pad), dyMax)),
        )(x);
        const dAvg = tf.grad((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, filter, stride, pad), dyAvg)),
        )(x);
        return [dMax, dAvg];
      }));
  }

  it('ran the matmuls and max-pool gradients above through this mode', () => {
    if (mode.native() === undefined) expect(nativeCalls()).toBe(0);
    else expect(nativeCalls()).toBeGreaterThanOrEqual(9 + 3 + 4);
  });
});

describe('the rest of what the model zoo needs trains on wasm with the cpu gradients', () => {
  it('batch norm (batch statistics), relu, dropout, dense and softmax cross-entropy', () =>
    expectSameAsCpu(() => {
      const r = Rng.fromSeed(31);
      const x = values(r, [4, 5, 5, 3]);
      const gamma = values(r, [3]);
      const beta = values(r, [3]);
      const w = values(r, [75, 2]);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
      const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, k: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        const normed = tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
        // A seeded dropout mask is drawn in JS, so both backends drop the same units.
        const dropped = tf.dropout(tf.relu(normed), 0.3, undefined, 17);
        const logits = tf.matMul(tf.reshape(dropped, [4, 75]), k as tf.Tensor2D);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      };
      const grads = tf.grads(loss)([x, gamma, beta, w]);
      return [loss(x, gamma, beta, w), ...grads];
    }));
});

describe.each(KERNEL_MODES)('sums and means with $mode', (mode) => {
  useKernelMode(mode);
  for (const [shape, axis, keepDims] of [
    [[4, 5, 6, 3], [0, 1, 2], false],
    [[4, 5, 6, 3], [1, 0], true],
    [[7, 3], 0, false],
    [[4, 5, 6], [0, 2], false],
    [[4, 5, 6], -1, true],
    [[4, 5], [0, 1], false],
  ] as const) {
    for (const reduce of [tf.sum, tf.mean]) {
      it(`${reduce === tf.sum ? 'sum' : 'mean'} of [${shape}] over ${JSON.stringify(axis)} keepDims=${keepDims}`, () =>
        expectSameAsCpu(() => {
          const x = values(Rng.fromSeed(shape.length), [...shape]);
          const s = reduce(x, axis as number | number[], keepDims);
          expect(s.shape).toEqual(
            tf.tidy(() => reduce(tf.zeros([...shape]), axis as number | number[], keepDims).shape),
          );
          return [s];
        }));
    }
  }
  it('batch statistics (tf.moments over batch and space), as batch norm takes them', () =>
    expectSameAsCpu(() => {
      const x = values(Rng.fromSeed(8), [6, 5, 4, 3]);
      const { mean, variance } = tf.moments(x, [0, 1, 2], true);
      return [mean, variance];
    }));
  it('leaves int32 sums to the stock kernel', async () => {
    await tf.setBackend('wasm');
    const s = tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0);
    expect(s.dtype).toBe('int32');
    expect(await s.array()).toEqual([4, 6]);
    s.dispose();
  });

  it('ran the leading-axes sums above through this mode', () => {
    if (mode.native() === undefined) expect(nativeCalls()).toBe(0);
    else expect(nativeCalls()).toBeGreaterThanOrEqual(4);
  });
});

describe('the op-based replacements work on any backend (as they would on webgpu)', () => {
  it('give the stock cpu results when installed on cpu', async () => {
    const build = () => {
      const r = Rng.fromSeed(77);
      const x = values(r, [2, 9, 9, 3]) as tf.Tensor4D;
      const f = values(r, [3, 3, 3, 4]) as tf.Tensor4D;
      const w = values(r, [4, 5]) as tf.Tensor2D;
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'));
        const pooled = tf.avgPool(h, 5, 5, 'valid');
        return tf.sum(tf.matMul(tf.reshape(pooled, [2, 4]), c as tf.Tensor2D));
      };
      return tf.grads(loss)([x, f, w]);
    };
    const stock = await on('cpu', build);
    const installed = installFastKernels('cpu', [
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
      'BatchMatMul',
      'AvgPoolGrad',
      'Sum',
    ]);
    try {
      expect(installed).toHaveLength(5);
      const replaced = await on('cpu', build);
      for (const [i, ref] of stock.entries()) {
        expect(relativeError(replaced[i] as Float32Array, ref)).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      uninstallFastKernels('cpu');
    }
    expect(installedFastKernels('cpu')).toEqual([]);
  });
});

describe('installFastKernels', () => {
  it('leaves the cpu backend on its stock kernels', () => {
    expect(installedFastKernels('cpu')).toEqual([]);
    expect(installFastKernels('cpu')).toEqual([]);
  });
});

describe('wasm tile', () => {
  for (const [shape, reps] of [
    [
      [1, 1, 1, 4],
      [3, 5, 2, 1],
    ],
    [
      [2, 3],
      [2, 2],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 4, 2],
    ],
    [
      [2, 2, 2, 2, 2],
      [1, 2, 1, 3, 1],
    ],
  ] as const) {
    it(`tile [${shape}] by [${reps}] (float32 and int32)`, async () => {
      const build = () => {
        const x = values(Rng.fromSeed(shape.length), [...shape]);
        return [tf.tile(x, [...reps]), tf.tile(tf.cast(tf.mul(x, 10), 'int32'), [...reps])];
      };
      const wasm = await on('wasm', build);
      const cpu = await on('cpu', build);
      expect(wasm.map((a) => [...a])).toEqual(cpu.map((a) => [...a]));
    });
  }

  it('tiles bool tensors, and its gradient sums the copies back', async () => {
    await tf.setBackend('wasm');
    const b = tf.tile(tf.tensor1d([true, false], 'bool'), [3]);
    expect(b.dtype).toBe('bool');
    expect([...(await b.data())]).toEqual([1, 0, 1, 0, 1, 0]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.tile(v, [4, 1])))(tf.tensor2d([[1, 2, 3]]));
    expect(await g.array()).toEqual([[4, 4, 4]]);
    tf.dispose([b, g]);
  });
});

describe('wasm identity', () => {
  it('shares the source data instead of copying it, and outlives the source', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory();
    const heapBuffersBefore = tf.backend().numDataIds();
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = tf.clone(x);
    // One data buffer for both, in the engine and on the heap: stock wasm copied (2 of each).
    expect(tf.memory().numDataBuffers - before.numDataBuffers).toBe(1);
    expect(tf.backend().numDataIds() - heapBuffersBefore).toBe(1);
    x.dispose();
    expect(await y.array()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.backend().numDataIds()).toBe(heapBuffersBefore);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });

  it('clones int32, bool and string tensors with their values and dtype', async () => {
    await tf.setBackend('wasm');
    const sources = [
      tf.tensor1d([7, -3], 'int32'),
      tf.tensor1d([true, false], 'bool'),
      tf.tensor1d(['a', 'bc']),
    ];
    const clones = sources.map((t) => tf.clone(t));
    tf.dispose(sources);
    expect(clones.map((t) => t.dtype)).toEqual(['int32', 'bool', 'string']);
    expect(await Promise.all(clones.map((t) => t.array()))).toEqual([
      [7, -3],
      [1, 0],
      ['a', 'bc'],
    ]);
    tf.dispose(clones);
  });
});

describe.each(KERNEL_MODES)('per-channel element-wise ops and batch norm with $mode', (mode) => {
  useKernelMode(mode);
  const full = [2, 3, 4, 5];

  for (const [name, op] of [
    ['mul', tf.mul],
    ['add', tf.add],
    ['sub', tf.sub],
  ] as const) {
    it(`${name}: per-channel [C] and [1,1,1,C] on either side, same shapes, int32`, () =>
      expectSameAsCpu(() => {
        const r = Rng.fromSeed(40);
        const x = values(r, full);
        const c = values(r, [5]);
        const c4 = values(r, [1, 1, 1, 5]);
        const ints = tf.cast(tf.mul(x, 10), 'int32');
        return [
          op(x, c),
          op(c, x),
          op(c4, x),
          op(x, c4),
          op(x, values(r, full)),
          tf.cast(op(ints, tf.cast(tf.mul(c, 10), 'int32')), 'float32'),
        ];
      }));
  }

  it('batch norm with and without scale and offset, and with a large mean', () =>
    expectSameAsCpu(() => {
      const r = Rng.fromSeed(41);
      const x = values(r, full);
      const mean = values(r, [5]);
      const variance = tf.abs(values(r, [5]));
      const offset = values(r, [5]);
      const scale = values(r, [5]);
      const shifted = tf.add(x, 1000);
      return [
        tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
        tf.batchNorm(x, mean, variance, undefined, undefined, 1e-5),
        tf.batchNorm(shifted, tf.add(mean, 1000), variance, offset, scale, 1e-3),
      ];
    }));

  it('batch norm in training: batch statistics and every gradient', () =>
    expectSameAsCpu(() => {
      const r = Rng.fromSeed(42);
      const x = values(r, full);
      const gamma = values(r, [5]);
      const beta = values(r, [5]);
      const dy = values(r, full);
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        const y = tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
        return tf.sum(tf.mul(y, dy));
      })([x, gamma, beta]);
      return grads;
    }));

  it('ran the per-channel ops above through this mode', () => {
    if (mode.native() === undefined) expect(nativeCalls()).toBe(0);
    else expect(nativeCalls()).toBeGreaterThanOrEqual(3 * 4 + 3);
  });
});
