// The one-kernel descent step on cpu (webgpu: webgpu.test.ts; wasm keeps tfjs's ops): the very
// float32 values of tfjs's sub(x, mul(dx, lr)), NaN and ±∞ included, and clear errors.
import { DESCENT_STEP_KERNEL, Rng } from '@iwlab/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { on, values } from '../../__tests__/compare.js';
import { initBackend } from '../../init.js';

beforeAll(async () => {
  const wasm = await initBackend('wasm', { env: {} });
  // wasm's own SIMD mul and sub are faster than a JS loop on its heap.
  expect(wasm.details?.optimizerKernels).toBeUndefined();
  expect(tf.getKernel(DESCENT_STEP_KERNEL, 'wasm')).toBeUndefined();
  const cpu = await initBackend('cpu', { env: {} });
  expect(cpu.details?.optimizerKernels).toBe(DESCENT_STEP_KERNEL);
});

function descentStepInputs(seed: number, shape: number[]) {
  const r = Rng.fromSeed(seed);
  const x = values(r, shape);
  const dx = tf.mul(values(r, shape), 1e3);
  return { x, dx, lr: tf.scalar(0.0137) };
}

describe.each(['cpu'])('the descent step kernel on %s', (backend) => {
  it.each([[[7]], [[3, 4, 5]], [[2, 3, 3, 4]]])(
    'equals tfjs ops bit for bit at %j',
    async (shape) => {
      const build = (viaKernel: boolean) => () => {
        const { x, dx, lr } = descentStepInputs(shape.length, shape);
        const out = viaKernel
          ? (tf.engine().runKernel(DESCENT_STEP_KERNEL, { x, dx, lr }) as tf.Tensor)
          : tf.sub(x, tf.mul(dx, lr));
        tf.dispose([x, dx, lr]);
        return [out];
      };
      const [mine] = await on(backend, build(true));
      const [ops] = await on('cpu', build(false));
      expect(Array.from(mine as Float32Array)).toEqual(Array.from(ops as Float32Array));
    },
  );

  it('passes NaN and infinities through as the ops do', async () => {
    await tf.setBackend(backend);
    const x = tf.tensor1d([Number.NaN, 1, Number.POSITIVE_INFINITY, 2]);
    const dx = tf.tensor1d([1, Number.NaN, 1, Number.NEGATIVE_INFINITY]);
    const lr = tf.scalar(0.5);
    const out = tf.engine().runKernel(DESCENT_STEP_KERNEL, { x, dx, lr }) as tf.Tensor;
    const got = Array.from(await out.data());
    expect(got.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(got.slice(2)).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    tf.dispose([x, dx, lr, out]);
  });

  it('refuses mismatched shapes and a non-scalar rate, naming the kernel', async () => {
    await tf.setBackend(backend);
    const x = tf.zeros([2, 3]);
    const dx = tf.zeros([3, 2]);
    const lr = tf.scalar(0.1);
    expect(() => tf.engine().runKernel(DESCENT_STEP_KERNEL, { x, dx, lr })).toThrow(
      /IwlabDescentStep: x \[2,3\] and dx \[3,2\]/,
    );
    const rates = tf.ones([2]);
    expect(() => tf.engine().runKernel(DESCENT_STEP_KERNEL, { x, dx: x, lr: rates })).toThrow(
      /lr be a scalar/,
    );
    tf.dispose([x, dx, lr, rates]);
  });
});
