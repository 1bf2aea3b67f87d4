import '../../test/setup-backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineLoss, type LossProperties } from '../define.js';
import { crossEntropy, logitWidth } from '../internal/ops.js';
import { softmaxCrossEntropy } from '../losses/cross-entropy.js';
import { assertLossConforms, checkLossConformance } from './index.js';

// The kit must fail on broken losses; each broken loss below differs from CE in one way.
const honest: LossProperties = {
  logits: 'multiclass',
  nonNegative: true,
  shiftInvariant: true,
  monotone: true,
};

function variant(
  body: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Tensor,
  properties: LossProperties = honest,
  tidy = true,
) {
  return defineLoss({
    name: 'broken',
    description: 'A deliberately broken loss.',
    params: z.strictObject({}),
    properties,
    create: () => ({
      name: 'broken',
      perExample: (logits, labels) => {
        if (!tidy) return body(logits, labels) as tf.Tensor1D;
        return tf.tidy(() => {
          logitWidth(logits, 'broken', 'multiclass');
          return body(logits, labels) as tf.Tensor1D;
        });
      },
    }),
  });
}

async function failures(definition: Parameters<typeof checkLossConformance>[0]) {
  const results = await checkLossConformance(definition);
  return results.filter((r) => !r.ok).map((r) => r.check.replace(/ \(\d logits?\)$/, ''));
}

describe('conformance kit', () => {
  it('passes softmax CE and reports every check it ran', async () => {
    const results = await assertLossConforms(softmaxCrossEntropy);
    expect(results.length).toBeGreaterThan(20);
  });

  it('catches log(softmax): infinite at extreme logits', async () => {
    const naive = variant((l, y) =>
      tf.neg(tf.sum(tf.mul(tf.log(tf.softmax(l)), tf.oneHot(y, l.shape[1])), 1)),
    );
    expect(await failures(naive)).toContain('finite values and gradients at logits ±10000');
  });

  it('catches a wrong gradient', async () => {
    const wrongGrad = variant((l, y) => {
      const body = (x: tf.Tensor, save: tf.GradSaveFunc) => {
        save([x]);
        // Claims ∂ℓ/∂z = 1 everywhere.
        const gradFunc = (dy: tf.Tensor) => tf.mul(tf.onesLike(x), tf.expandDims(dy, 1));
        return { value: crossEntropy(x as tf.Tensor2D, y), gradFunc };
      };
      const f = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
      return f(l);
    });
    expect(await failures(wrongGrad)).toContain('gradient matches central differences');
  });

  it('catches leaked tensors', async () => {
    const leaky = variant((l, y) => crossEntropy(l, y), honest, false);
    expect(await failures(leaky)).toContain('no leaked tensors');
  });

  it('catches a loss whose value depends on the rest of the batch', async () => {
    const batchy = variant((l, y) => {
      const ce = crossEntropy(l, y);
      return tf.div(ce, tf.add(tf.mean(ce), 1));
    });
    expect(await failures(batchy)).toContain('weight k equals k copies (sum)');
  });

  it('catches false property claims, a wrong shape and a wrong test vector', async () => {
    const signed = variant((l, y) => tf.sub(crossEntropy(l, y), 1));
    expect(await failures(signed)).toContain('non-negative (declared)');
    const shifted = variant((l, y) => tf.add(crossEntropy(l, y), tf.square(tf.mean(l, 1))));
    expect(await failures(shifted)).toContain('shift-invariant (declared)');
    const rising = variant((l, y) => tf.neg(crossEntropy(l, y)), { ...honest, nonNegative: false });
    expect(await failures(rising)).toContain('monotone toward the label (declared)');
    const column = variant((l, y) => tf.expandDims(crossEntropy(l, y), 1));
    expect(await failures(column)).toContain('output shape [B] float32');
    const results = await checkLossConformance(softmaxCrossEntropy, {
      vectors: [{ source: 'deliberately wrong', logits: [[1, 0.5]], labels: [1], expected: [0.9] }],
    });
    expect(results.find((r) => r.check.startsWith('test vector 1'))?.detail).toMatch(
      /expected \[0\.900000\], got \[0\.974/,
    );
  });

  it('catches a loss that silently accepts logits it cannot handle', async () => {
    const lax = defineLoss({
      name: 'lax',
      description: 'Binary, but never checks the width.',
      params: z.strictObject({}),
      properties: { logits: 'binary', nonNegative: true, shiftInvariant: false, monotone: false },
      create: () => ({
        name: 'lax',
        perExample: (l) => tf.tidy(() => tf.sum(tf.square(l), 1) as tf.Tensor1D),
      }),
    });
    expect(await failures(lax)).toContain('rejects 3 logits with a SpecError naming logits');
  });

  it('throws one error that lists every failed check', async () => {
    const signed = variant((l, y) => tf.sub(crossEntropy(l, y), 1));
    await expect(assertLossConforms(signed)).rejects.toThrow(
      /failed 2 of \d+ conformance checks:\n {2}✗ non-negative/,
    );
  });
});
