// The one-kernel softmax cross-entropy on cpu and wasm (webgpu: webgpu.test.ts) against float64
// values computed here and against tfjs's op-based formula's gradients on the cpu backend.
import { Rng, SPARSE_SOFTMAX_CE_GRAD_KERNEL, SPARSE_SOFTMAX_CE_KERNEL } from '@iwlab/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { on } from '../../__tests__/compare.js';
import { softmaxCrossEntropyCases } from '../../__tests__/softmax-ce-cases.js';
import { initBackend } from '../../init.js';

beforeAll(async () => {
  // wasm through initBackend (as users get it); cpu registered alongside.
  const info = await initBackend('wasm', { env: {} });
  expect(info.details?.lossKernels).toBe(SPARSE_SOFTMAX_CE_KERNEL);
  await initBackend('cpu', { env: {} });
  expect(tf.getKernel(SPARSE_SOFTMAX_CE_KERNEL, 'cpu')).toBeDefined();
});

describe.each(['cpu', 'wasm'])('softmax cross-entropy kernels on %s', (backend) => {
  for (const c of softmaxCrossEntropyCases(Rng.fromSeed(77))) {
    it(c.name, async () => {
      c.check(await on(backend, c.viaKernel), await on('cpu', c.viaOps));
    });
  }

  it('runs as one kernel forward and one backward', async () => {
    await tf.setBackend(backend);
    const logits = tf.tensor2d([1, 2, 3, 4, 0, -1], [2, 3]);
    const labels = tf.tensor1d([2, 0], 'int32');
    const { kernelNames, result } = await tf.profile(() =>
      tf.grad((z: tf.Tensor) =>
        tf.sum(tf.engine().runKernel(SPARSE_SOFTMAX_CE_KERNEL, { logits: z, labels }) as tf.Tensor),
      )(logits),
    );
    tf.dispose([result as tf.Tensor, logits, labels]);
    expect(kernelNames).toContain(SPARSE_SOFTMAX_CE_KERNEL);
    expect(kernelNames).toContain(SPARSE_SOFTMAX_CE_GRAD_KERNEL);
    expect(kernelNames).not.toContain('Exp');
  });
});
