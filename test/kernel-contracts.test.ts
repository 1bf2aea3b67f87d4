// The kernels @iwlab/backend registers for other packages (contracts in @iwlab/core): with them,
// every built-in loss still conforms (the kit's finite differences and test vectors) on cpu and
// wasm, the cross-entropy losses and @iwlab/train's optimizers really use them, and values and
// gradients, and optimizer updates, equal those of the op-based formulas on a cpu backend that
// lacks the kernels.
import { initBackend } from '@iwlab/backend';
import {
  DESCENT_STEP_KERNEL,
  Rng,
  SPARSE_SOFTMAX_CE_GRAD_KERNEL,
  SPARSE_SOFTMAX_CE_KERNEL,
} from '@iwlab/core';
import { BUILTIN_LOSSES, createLoss } from '@iwlab/losses';
import { assertLossConforms } from '@iwlab/losses/testing';
import { createOptimizer, type OptimizerSpec } from '@iwlab/train';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

/** A tensor of standard normal draws times `scale`. */
function normal(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

/** tfjs's cpu backend under another name, with every cpu kernel but @iwlab/backend's new ones. */
const PLAIN = 'cpu-without-iwlab-kernels';

beforeAll(async () => {
  await initBackend('wasm', { env: {} });
  const info = await initBackend('cpu', { env: {} });
  expect(info.details?.lossKernels).toBe(SPARSE_SOFTMAX_CE_KERNEL);
  tf.registerBackend(PLAIN, () => new MathBackendCPU());
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (
      [SPARSE_SOFTMAX_CE_KERNEL, SPARSE_SOFTMAX_CE_GRAD_KERNEL, DESCENT_STEP_KERNEL].includes(
        config.kernelName,
      )
    ) {
      continue;
    }
    tf.registerKernel({ ...config, backendName: PLAIN });
  }
  expect(tf.getKernel(SPARSE_SOFTMAX_CE_KERNEL, PLAIN)).toBeUndefined();
  expect(info.details?.optimizerKernels).toBe(DESCENT_STEP_KERNEL);
});

// The same options the catalogue's own tests give this loss.
const KIT_OPTIONS: Record<string, { logitScale: number; finiteDifferenceStep: number }> = {
  ldam: { logitScale: 0.1, finiteDifferenceStep: 1e-3 },
};

describe.each(['cpu', 'wasm'])('the loss catalogue with the cross-entropy kernel on %s', (name) => {
  beforeAll(async () => {
    expect(await tf.setBackend(name)).toBe(true);
  });
  it.each(BUILTIN_LOSSES.map((d) => [d.name, d] as const))(
    '%s conforms',
    async (_n, definition) => {
      await assertLossConforms(definition, KIT_OPTIONS[definition.name] ?? {});
    },
  );
});

describe('cross-entropy losses through the kernel and through ops', () => {
  const setup = { numClasses: 4, classCounts: [40, 25, 10, 5] };
  // Losses whose per-example value goes through the shared cross-entropy.
  const losses = ['ce', 'focal', 'logit-adjusted', 'balanced-softmax', 'ldam', 'vs'];

  async function valuesAndGradient(backend: string, loss: string) {
    await tf.setBackend(backend);
    const z = normal(Rng.fromSeed(5), [6, 4], 2) as tf.Tensor2D;
    const y = tf.tensor1d([0, 1, 2, 3, 1, 0], 'int32');
    const fn = createLoss(loss, undefined, setup);
    const ctx = { epoch: 0, step: 0, ...setup };
    const { kernelNames, kernels, result } = await tf.profile(() => {
      const per = fn.perExample(z, y, ctx);
      const grad = tf.grad((q: tf.Tensor) => tf.sum(fn.perExample(q as tf.Tensor2D, y, ctx)))(z);
      return [per, grad];
    });
    const [per, grad] = result as tf.Tensor[];
    const out = {
      kernelNames,
      kernelCount: kernels.length,
      per: Array.from(await (per as tf.Tensor).data()),
      grad: Array.from(await (grad as tf.Tensor).data()),
    };
    tf.dispose([z, y, per as tf.Tensor, grad as tf.Tensor]);
    return out;
  }

  it.each(losses)('%s', async (loss) => {
    const fused = await valuesAndGradient('cpu', loss);
    const plain = await valuesAndGradient(PLAIN, loss);
    expect(fused.kernelNames).toContain(SPARSE_SOFTMAX_CE_KERNEL);
    expect(fused.kernelNames).toContain(SPARSE_SOFTMAX_CE_GRAD_KERNEL);
    expect(plain.kernelNames).not.toContain(SPARSE_SOFTMAX_CE_KERNEL);
    expect(fused.kernelCount).toBeLessThan(plain.kernelCount);
    for (const [i, v] of plain.per.entries()) expect(fused.per[i]).toBeCloseTo(v, 5);
    for (const [i, v] of plain.grad.entries()) expect(fused.grad[i]).toBeCloseTo(v, 5);
  });
});

describe("@iwlab/train's optimizers through the descent-step kernel and through ops", () => {
  const specs: OptimizerSpec[] = [
    { kind: 'sgd', lr: 0.1 },
    { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    { kind: 'sgd', lr: 0.1, weightDecay: 1e-2, decoupledWeightDecay: true },
    { kind: 'adam', lr: 1e-3 },
  ];

  async function threeSteps(backend: string, spec: OptimizerSpec) {
    await tf.setBackend(backend);
    const rng = Rng.fromSeed(9);
    const draw = (shape: number[]) => normal(rng, shape);
    const variables = [tf.variable(draw([3, 4])), tf.variable(draw([4]))];
    const optimizer = createOptimizer(spec);
    const lr = tf.scalar(0.1);
    const { kernelNames } = await tf.profile(() => {
      for (let step = 0; step < 3; step++) {
        const grads = variables.map((v) => draw(v.shape));
        optimizer.apply(variables, grads, lr);
        tf.dispose(grads);
      }
    });
    const out = await Promise.all(variables.map(async (v) => Array.from(await v.data())));
    optimizer.dispose();
    tf.dispose([lr, ...variables]);
    return { kernelNames, values: out.flat() };
  }

  it.each(specs.map((s) => [JSON.stringify(s), s] as const))(
    '%s: same updates, bit for bit',
    async (_n, spec) => {
      const fused = await threeSteps('cpu', spec);
      const plain = await threeSteps(PLAIN, spec);
      expect(fused.kernelNames).toContain(DESCENT_STEP_KERNEL);
      expect(plain.kernelNames).not.toContain(DESCENT_STEP_KERNEL);
      expect(fused.values).toEqual(plain.values);
    },
  );
});

describe('memory with the kernels', () => {
  it.each(['cpu', 'wasm'])('a training step leaves no tensor behind on %s', async (backend) => {
    await tf.setBackend(backend);
    const rng = Rng.fromSeed(3);
    const draw = (shape: number[]) => normal(rng, shape);
    const w = tf.variable(draw([5, 3]));
    const b = tf.variable(draw([3]));
    const x = draw([8, 5]) as tf.Tensor2D;
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const ce = createLoss('ce', undefined, { numClasses: 3 });
    const optimizer = createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9 });
    const lr = tf.scalar(0.1);
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const logits = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
          return tf.mean(ce.perExample(logits, y, { numClasses: 3, epoch: 0, step }));
        }, [w, b]);
        optimizer.apply([w, b], [grads[w.name] as tf.Tensor, grads[b.name] as tf.Tensor], lr);
        return value;
      });
      loss.dispose();
      counts.push(tf.memory().numTensors);
    }
    // The first step creates the momentum slots; after it, nothing accumulates.
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    tf.dispose([w, b, x, y, lr]);
  });
});
