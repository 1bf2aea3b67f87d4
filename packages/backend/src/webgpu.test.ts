// The webgpu backend for real, on whatever adapter Dawn finds: a GPU, or without one (CI) Mesa's
// llvmpipe (software adapters allowed here; `auto` never takes one). Skipped, with a warning saying
// why, where neither exists or the optional packages are missing.
import {
  type BackendInfo,
  BackendUnavailableError,
  DESCENT_STEP_KERNEL,
  Rng,
  SPARSE_SOFTMAX_CE_KERNEL,
} from '@iwlab/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsCpu as compareWithCpu, on, values } from './__tests__/compare.js';
import { softmaxCrossEntropyCases } from './__tests__/softmax-ce-cases.js';
import {
  installedFastKernels,
  installFastKernels,
  uninstallFastKernels,
  webgpuDispatchCacheStats,
} from './index.js';
import { initBackend } from './init.js';

async function startWebgpu(): Promise<BackendInfo | null> {
  try {
    return await initBackend('webgpu', { allowSoftwareAdapter: true, env: {} });
  } catch (error) {
    // CI installs the software adapter and sets this, so a broken setup fails there, not skips.
    if (!(error instanceof BackendUnavailableError) || process.env.IWLAB_WEBGPU_REQUIRED === '1') {
      throw error;
    }
    console.warn(`webgpu.test: skipping, no WebGPU adapter: ${error.message}`);
    return null;
  }
}

const info = await startWebgpu();

const expectSameAsCpu = (build: () => tf.Tensor[], tolerance = 1e-4) =>
  compareWithCpu('webgpu', build, tolerance);

/** The GPU programs (class names and shader keys) the webgpu backend records while `run` runs. */
async function programsRun(run: () => Promise<void>): Promise<{ names: string[]; keys: string[] }> {
  const names: string[] = [];
  const keys: string[] = [];
  const backend = tf.findBackend('webgpu') as unknown as {
    runWebGPUProgram: (program: object, ...rest: unknown[]) => unknown;
  };
  const original = backend.runWebGPUProgram;
  backend.runWebGPUProgram = function (this: unknown, program: object, ...rest: unknown[]) {
    names.push(program.constructor.name);
    keys.push(String((program as { shaderKey?: string }).shaderKey));
    return original.call(this, program, ...rest);
  };
  try {
    await run();
  } finally {
    backend.runWebGPUProgram = original;
  }
  return { names, keys };
}

describe.skipIf(info === null)('webgpu backend', () => {
  beforeAll(() => {
    // Small tensors whose data is still on the CPU otherwise run on the webgpu backend's CPU
    // kernels; every kernel below must run as a GPU program.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(() => {
    tf.env().set('WEBGPU_CPU_FORWARD', true);
  });

  it('records the adapter and the fixes in BackendInfo.details', () => {
    expect(info?.name).toBe('webgpu');
    const details = info?.details ?? {};
    expect(typeof details['adapter.software']).toBe('boolean');
    expect(['core', 'compatibility']).toContain(details['adapter.featureLevel']);
    expect(String(details['adapter.description'] ?? details['adapter.device'])).not.toBe('');
    expect(details.webgpuFixes).toBe('Cast,PadV2,StridedSlice');
    console.info('webgpu.test: adapter', details);
  });

  // The stock Cast relabels an integer buffer as float32; Transpose then reads integer bits as
  // floats (a sum over a middle axis transposes first). Without the fix these are zeros.
  for (const from of ['bool', 'int32'] as const) {
    const integers = () => {
      const x = tf.tensor3d([1, 0, 2, 0, 3, 3, 0, 1, 5, 0, 0, 2], [2, 3, 2], 'int32');
      const one = tf.scalar(1, 'int32');
      // Computed on the GPU, so the integers live in a GPU buffer.
      const out = from === 'bool' ? tf.notEqual(x, 0) : tf.add(x, one);
      tf.dispose([x, one]);
      return out;
    };

    it(`cast ${from} → float32, then transpose and a middle-axis sum, equal the cpu results`, () =>
      expectSameAsCpu(
        () =>
          tf.tidy(() => {
            const asFloat = tf.cast(integers(), 'float32');
            return [tf.transpose(asFloat, [0, 2, 1]), tf.sum(asFloat, 1), tf.mul(asFloat, 0.5)];
          }),
        0,
      ));

    it(`cast ${from} → float32 leaves no tensor or buffer behind`, async () => {
      await tf.setBackend('webgpu');
      const source = integers();
      const before = tf.memory();
      tf.cast(source, 'float32').dispose();
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
      source.dispose();
    });
  }

  // The stock PadV2 and StridedSlice shaders do not compile at ranks 5 and 6.
  for (const rank of [5, 6]) {
    const shape = [2, 3, 2, 3, 2, 2].slice(0, rank);
    const x = () =>
      tf.tensor(
        Float32Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => Math.sin(i + 1)),
        shape,
      );
    it(`pad at rank ${rank}`, () =>
      expectSameAsCpu(
        () =>
          tf.tidy(() => [
            tf.pad(
              x(),
              shape.map((_, i) => [i % 2, 1]),
              0.5,
            ),
            tf.pad(
              x(),
              shape.map(() => [0, 0]),
            ),
          ]),
        0,
      ));
    it(`strided slices at rank ${rank}: strides, negative strides, masks`, () =>
      expectSameAsCpu(
        () =>
          tf.tidy(() => {
            const ones = shape.map(() => 1);
            const zeros = shape.map(() => 0);
            return [
              tf.stridedSlice(x(), zeros, shape, [1, 2, ...ones.slice(2)]),
              tf.stridedSlice(
                x(),
                shape.map((d) => d - 1),
                shape.map(() => -100),
                [-1, ...ones.slice(1, -1), -2],
              ),
              // begin and end masks on axes 0 and 2.
              tf.stridedSlice(x(), [1, 1, 1, ...zeros.slice(3)], shape, [1, 1, 1, 2], 0b101, 0b101),
              // an ellipsis and a new axis.
              tf.stridedSlice(x(), [0, 0, 1], [0, 0, 3], [1, 1, 2], 0, 0, 0b1, 0b10),
            ];
          }),
        0,
      ));
    // tfjs's own strided slice (cpu backend included) reads the wrong elements when a shrunk axis
    // comes before a strided one, so this compares with slice + squeeze + gather instead.
    it(`a strided slice at rank ${rank} with a shrunk axis before a strided one`, async () => {
      const shrunk = await on('webgpu', () =>
        tf.tidy(() => [
          tf.stridedSlice(x(), [1, 1, 1, 0], [2, 3, 2, 3], [1, 1, 1, 2], 0b101, 0b101, 0, 0, 0b10),
        ]),
      );
      const expected = await on('cpu', () =>
        tf.tidy(() => {
          const row = tf.squeeze(tf.slice(x(), [0, 1], [-1, 1]), [1]);
          return [tf.gather(row, tf.tensor1d([0, 2], 'int32'), 2)];
        }),
      );
      expect(shrunk[0]).toEqual(expected[0]);
    });
  }

  // ReLU's gradient is one program on webgpu (tfjs's is step, cast and multiply).
  describe('the one-program ReLU gradient', () => {
    it('equals the cpu gradient, zeros included, and runs as one kernel', async () => {
      expect(info?.details?.webgpuReluGrad).toBe(true);
      const build = () => {
        const r = Rng.fromSeed(31);
        // Rounded to halves, so exact zeros occur (relu's gradient there is 0).
        const x = tf.round(tf.mul(values(r, [3, 5, 7]), 2));
        const w = values(r, [3, 5, 7]);
        const dx = tf.grad((a) => tf.sum(tf.mul(tf.relu(a), w)))(x);
        tf.dispose([x, w]);
        return [dx];
      };
      await expectSameAsCpu(build);
      await tf.setBackend('webgpu');
      const { kernelNames, result } = await tf.profile(build);
      tf.dispose(result as tf.Tensor[]);
      expect(kernelNames).toContain('IwlabReluGrad');
      expect(kernelNames).not.toContain('Step');
    });

    it('passes NaN through as tfjs does, and has a second-order gradient', async () => {
      await tf.setBackend('webgpu');
      const x = tf.tensor1d([Number.NaN, 1.5, -2, 0]);
      const dx = tf.grad((a) => tf.sum(tf.relu(a)))(x);
      const got = Array.from(await dx.data());
      expect(Number.isNaN(got[0])).toBe(true);
      expect(got.slice(1)).toEqual([1, 0, 0]);
      tf.dispose([x, dx]);
      await expectSameAsCpu(() => {
        const r = Rng.fromSeed(32);
        const y = values(r, [4, 6]);
        const w = values(r, [4, 6]);
        // d/dy of sum(w · relu'(y) · y) through the gradient of the gradient.
        const inner = (a: tf.Tensor) => tf.grad((b) => tf.sum(tf.mul(tf.relu(b), tf.mul(w, b))))(a);
        const outer = tf.grad((a) => tf.sum(inner(a)))(y);
        tf.dispose([y, w]);
        return [outer];
      });
    });
  });

  describe('the one-kernel softmax cross-entropy', () => {
    it('is registered by initBackend', () => {
      expect(info?.details?.lossKernels).toBe(SPARSE_SOFTMAX_CE_KERNEL);
    });
    for (const c of softmaxCrossEntropyCases(Rng.fromSeed(77))) {
      it(c.name, async () => c.check(await on('webgpu', c.viaKernel), await on('cpu', c.viaOps)));
    }
  });

  it('runs the descent step as one program, with the values of tfjs ops', async () => {
    expect(info?.details?.optimizerKernels).toBe(DESCENT_STEP_KERNEL);
    const build = (viaKernel: boolean) => () => {
      const r = Rng.fromSeed(41);
      const x = values(r, [3, 5, 67]);
      const dx = tf.mul(values(r, [3, 5, 67]), 1e3);
      const lr = tf.scalar(0.0137);
      const out = viaKernel
        ? (tf.engine().runKernel(DESCENT_STEP_KERNEL, { x, dx, lr }) as tf.Tensor)
        : tf.sub(x, tf.mul(dx, lr));
      tf.dispose([x, dx, lr]);
      return [out];
    };
    const [mine] = await on('webgpu', build(true));
    const [ops] = await on('cpu', build(false));
    // Within a float32 rounding of each value (a shader compiler may fuse the multiply-add).
    const a = mine as Float32Array;
    const b = ops as Float32Array;
    for (let i = 0; i < b.length; i++) {
      expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(
        2 ** -22 * Math.max(1, Math.abs(b[i] as number)),
      );
    }
  });

  // tfjs runs this filter gradient as one thread per weight over the whole batch; the default
  // fast kernel on webgpu is a split-K GEMM shader, with 64x64 or 32x32 tiles. Shapes with
  // tile edges (M, N not multiples of the tile), several slices of the reduction, strides,
  // asymmetric 'same' padding and 1x1 / 5x5 kernels, for both tiles.
  describe('the split-K filter gradient shader', () => {
    const cases = [
      { x: [3, 9, 9, 3], k: 3, outC: 5, stride: 1, pad: 'valid' },
      { x: [8, 20, 20, 6], k: 3, outC: 40, stride: 1, pad: 'same' },
      { x: [4, 17, 15, 33], k: 3, outC: 35, stride: 2, pad: 'same' },
      { x: [2, 12, 12, 7], k: 1, outC: 9, stride: 1, pad: 'valid' },
      { x: [5, 14, 11, 4], k: 5, outC: 66, stride: 2, pad: 'valid' },
    ] as const;
    let defaultTile = 0;
    beforeAll(() => {
      defaultTile = tf.env().getNumber('IWLAB_WEBGPU_FILTER_TILE');
      expect(defaultTile).toBe(0);
    });
    afterAll(() => {
      tf.env().set('IWLAB_WEBGPU_FILTER_TILE', defaultTile);
    });
    it('chooses 64x64 tiles unless they pad the gradient by over a quarter more', async () => {
      tf.env().set('IWLAB_WEBGPU_FILTER_TILE', 0);
      await tf.setBackend('webgpu');
      // 27 x 5 (a 64x64 tile is 4x the padded work of 32x32); 54 x 40 (the same padded work).
      for (const [inC, outC, expected] of [
        [3, 5, 32],
        [6, 40, 64],
      ] as const) {
        const { keys } = await programsRun(async () => {
          const x = tf.ones([2, 6, 6, inC]) as tf.Tensor4D;
          const dy = tf.ones([2, 4, 4, outC]) as tf.Tensor4D;
          const dw = tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x, dy },
              { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, inC, outC] },
            ) as tf.Tensor;
          await dw.data();
          tf.dispose([x, dy, dw]);
        });
        expect(keys).toContain(`iwlabConv2DFilterGradSplitK${expected}`);
      }
    });
    for (const [tile, c] of [32, 64].flatMap((t) => cases.map((c) => [t, c] as const))) {
      it(`${c.x.join('x')} → ${c.outC}, ${c.k}x${c.k} stride ${c.stride} ${c.pad}, tile ${tile}`, async () => {
        tf.env().set('IWLAB_WEBGPU_FILTER_TILE', tile);
        expect(installedFastKernels('webgpu')).toContain('Conv2DBackpropFilter');
        const { names: ran, keys } = await programsRun(() =>
          expectSameAsCpu(() => {
            const r = Rng.fromSeed(c.x[3] * 1000 + c.outC);
            const x = values(r, [...c.x]) as tf.Tensor4D;
            const w = values(r, [c.k, c.k, c.x[3], c.outC]) as tf.Tensor4D;
            const dy = values(r, tf.conv2d(x, w, c.stride, c.pad).shape);
            const dw = tf.grad((b) =>
              tf.sum(tf.mul(tf.conv2d(x, b as tf.Tensor4D, c.stride, c.pad), dy)),
            )(w);
            tf.dispose([x, w, dy]);
            return [dw];
          }),
        );
        expect(ran).toContain('Conv2DFilterGradSplitKProgram');
        expect(keys).toContain(`iwlabConv2DFilterGradSplitK${tile}`);
        expect(ran).not.toContain('Conv2DDerFilterProgram');
      });
    }
  });

  // initBackend takes tfjs's GEMM program for the input gradient (faster on a GPU); the direct one
  // stays a user's choice. Both against the cpu backend on shapes past a GEMM tile (M = the input's
  // pixels, N = its channels, K = 3x3 x the output's channels), with strides and 'same' padding.
  describe('the convolution input gradient, GEMM and direct', () => {
    const FLAG = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';
    afterAll(() => {
      tf.env().set(FLAG, false);
    });
    it('is the GEMM program after initBackend', async () => {
      expect(info?.details?.webgpuInputGradient).toBe('gemm');
      expect(tf.env().getBool(FLAG)).toBe(false);
      await tf.setBackend('webgpu');
      const { names } = await programsRun(async () => {
        const dy = tf.ones([2, 4, 4, 8]) as tf.Tensor4D;
        const w = tf.ones([3, 3, 5, 8]) as tf.Tensor4D;
        const dx = tf.conv2dTranspose(dy, w, [2, 6, 6, 5], 1, 'valid');
        await dx.data();
        tf.dispose([dy, w, dx]);
      });
      expect(names).toContain('Conv2DDerInputMMProgram');
    });
    const cases = [
      { x: [2, 13, 13, 40], outC: 36, stride: 1, pad: 'valid' },
      { x: [3, 15, 17, 33], outC: 70, stride: 2, pad: 'same' },
      { x: [1, 9, 9, 3], outC: 64, stride: 2, pad: 'valid' },
    ] as const;
    for (const [naive, c] of [false, true].flatMap((n) => cases.map((c) => [n, c] as const))) {
      const program = naive ? 'Conv2DDerInputProgram' : 'Conv2DDerInputMMProgram';
      it(`${program}: ${c.x.join('x')} → ${c.outC}, stride ${c.stride} ${c.pad}`, async () => {
        tf.env().set(FLAG, naive);
        const { names } = await programsRun(() =>
          expectSameAsCpu(() => {
            const r = Rng.fromSeed(c.x[3] * 100 + c.outC);
            const x = values(r, [...c.x]) as tf.Tensor4D;
            const w = values(r, [3, 3, c.x[3], c.outC]) as tf.Tensor4D;
            const dy = values(r, tf.conv2d(x, w, c.stride, c.pad).shape);
            const dx = tf.grad((a) =>
              tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w, c.stride, c.pad), dy)),
            )(x);
            tf.dispose([x, w, dy]);
            return [dx];
          }),
        );
        expect(names).toContain(program);
      });
    }
  });

  // The op-based fast kernels are backend-generic; webgpu does not install them by default, but
  // they must still give the stock results there (the input gradient's zero insertion for strides
  // above 1 is a rank-6 pad). Conv2DBackpropFilter is the split-K shader on webgpu either way.
  const OP_BASED_KERNELS = [
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'BatchMatMul',
    'AvgPoolGrad',
    'Sum',
  ] as const;
  describe.each([
    { kernels: 'stock kernels', install: false },
    { kernels: 'op-based fast kernels', install: true },
  ])('training gradients with the $kernels equal the cpu backend stock ones', ({ install }) => {
    beforeAll(() => {
      if (!install) {
        uninstallFastKernels('webgpu');
        return;
      }
      installFastKernels('webgpu', [...OP_BASED_KERNELS]);
      expect([...installedFastKernels('webgpu')].sort()).toEqual([...OP_BASED_KERNELS].sort());
    });
    afterAll(() => {
      uninstallFastKernels('webgpu');
      installFastKernels('webgpu');
    });
    const rng = Rng.fromSeed(6);
    const convCases: [string, () => tf.Tensor[]][] = [];
    for (let i = 0; i < 6; i++) {
      const batch = rng.int(1, 3);
      const size = rng.int(5, 9);
      const inC = rng.int(1, 5);
      const outC = rng.int(1, 6);
      const k = rng.int(1, 4);
      const stride = rng.int(1, 3);
      const pad = rng.float() < 0.5 ? 'same' : 'valid';
      const seed = rng.int(0, 1_000_000);
      convCases.push([
        `conv2d ${batch}x${size}x${size}x${inC} → ${outC}, ${k}x${k} stride ${stride} ${pad}`,
        () => {
          const r = Rng.fromSeed(seed);
          const x = values(r, [batch, size, size, inC]) as tf.Tensor4D;
          const w = values(r, [k, k, inC, outC]) as tf.Tensor4D;
          const y = tf.conv2d(x, w, stride, pad);
          const dy = values(r, y.shape);
          const grads = tf.grads((a, b) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dy)),
          )([x, w]);
          tf.dispose([x, w, dy]);
          return [y, ...grads];
        },
      ]);
    }
    for (const [name, build] of convCases) it(name, () => expectSameAsCpu(build));

    it('matMul with every transpose, as dense layers differentiate', () =>
      expectSameAsCpu(() => {
        const r = Rng.fromSeed(7);
        const out: tf.Tensor[] = [];
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          const a = values(r, ta ? [13, 7] : [7, 13]) as tf.Tensor2D;
          const b = values(r, tb ? [5, 13] : [13, 5]) as tf.Tensor2D;
          const dy = values(r, [7, 5]);
          out.push(
            tf.matMul(a, b, ta, tb),
            ...tf.grads((p, q) =>
              tf.sum(tf.mul(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, ta, tb), dy)),
            )([a, b]),
          );
          tf.dispose([a, b, dy]);
        }
        return out;
      }));

    it('max and average pooling gradients, bias sums, batch norm and softmax cross-entropy', () =>
      expectSameAsCpu(() => {
        const r = Rng.fromSeed(8);
        const x = values(r, [2, 6, 6, 3]) as tf.Tensor4D;
        const scale = values(r, [3]);
        // tfjs's gradient tape fails on an undefined offset, so a zero one is passed.
        const offset = tf.zeros([3]);
        const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
        const grads = tf.grads((input, gamma) => {
          const pooled = tf.add(
            tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'),
            tf.avgPool(input as tf.Tensor4D, 2, 2, 'valid'),
          );
          const { mean, variance } = tf.moments(pooled, [0, 1, 2]);
          const normed = tf.batchNorm(pooled, mean, variance, offset, gamma, 1e-3);
          const logits = tf.sum(tf.relu(normed), [1, 2]);
          return tf.losses.softmaxCrossEntropy(labels, logits);
        })([x, scale]);
        tf.dispose([x, scale, offset, labels]);
        return grads;
      }));
  });

  // Training repeats the same programs on the same shapes, so from the second step on the cached
  // uniforms and bind groups are used; a stale one would show as a different loss.
  it('trains twelve SGD steps with cached bind groups and uniforms, with the cpu losses', async () => {
    const before = webgpuDispatchCacheStats();
    expect(info?.details?.webgpuDispatchCache).toBe(true);
    await expectSameAsCpu(() => {
      const r = Rng.fromSeed(21);
      const filter = tf.variable(tf.mul(values(r, [3, 3, 2, 4]), 0.3));
      const dense = tf.variable(tf.mul(values(r, [36, 3]), 0.3));
      const batches = [0, 1, 2].map(() => ({
        x: values(r, [4, 6, 6, 2]) as tf.Tensor4D,
        y: tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3),
      }));
      const optimizer = tf.train.sgd(0.1);
      const losses: tf.Tensor[] = [];
      for (let step = 0; step < 12; step++) {
        const { x, y } = batches[step % 3] as (typeof batches)[number];
        const loss = optimizer.minimize(
          () => {
            const h = tf.maxPool(
              tf.relu(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same')),
              2,
              2,
              'valid',
            );
            return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.reshape(h, [4, 36]), dense));
          },
          true,
          [filter, dense],
        );
        losses.push(loss as tf.Scalar);
      }
      const out = [tf.stack(losses), filter.clone(), dense.clone()];
      tf.dispose([...losses, filter, dense, ...batches.flatMap((b) => [b.x, b.y])]);
      optimizer.dispose();
      return out;
    });
    const after = webgpuDispatchCacheStats();
    expect(after).not.toBeNull();
    expect((after?.bindGroupHits ?? 0) - (before?.bindGroupHits ?? 0)).toBeGreaterThan(50);
    expect((after?.uniformHits ?? 0) - (before?.uniformHits ?? 0)).toBeGreaterThan(100);
  });
});
