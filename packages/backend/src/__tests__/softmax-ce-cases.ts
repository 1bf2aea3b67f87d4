// Cases for the one-kernel softmax cross-entropy, shared by the cpu/wasm and webgpu tests: each
// runs the kernel (loss, gradient, second-order gradient) and tfjs's op-based formula (gradients),
// and checks the loss against float64 values computed here.
import { type Rng, SPARSE_SOFTMAX_CE_KERNEL } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { relativeError } from './compare.js';

export interface SoftmaxCeCase {
  readonly name: string;
  /** [loss, d(Σ w·loss)/dz, d(Σ v·that)/dz] through the kernel, on the current backend. */
  viaKernel(): tf.Tensor[];
  /** The gradient through tfjs's ops (logSumExp, oneHot, mul, sum; they have no second order). */
  viaOps(): tf.Tensor[];
  /** Checks the kernel's three results against float64 values and the ops' gradient. */
  check(results: Float32Array[], references: Float32Array[]): void;
}

/** log Σ_j e^{z_j} − z_y in float64, NaN for a non-finite row, the log-sum-exp alone for y ∉ [0, K). */
function expectedLoss(z: Float32Array, labels: number[], k: number): number[] {
  return labels.map((y, i) => {
    const row = Array.from(z.subarray(i * k, (i + 1) * k));
    if (row.some((v) => !Number.isFinite(v))) return Number.NaN;
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return lse - (y >= 0 && y < k ? (row[y] as number) : 0);
  });
}

/** d/dz Σ v·∇(Σ w·CE) = w_b · p ⊙ (v − ⟨p, v⟩) per row, in float64 (softmax's Jacobian). */
function expectedSecondOrder(z: Float32Array, w: Float32Array, v: Float32Array, k: number) {
  const out = new Float64Array(z.length);
  for (let i = 0; i < w.length; i++) {
    const row = Array.from(z.subarray(i * k, (i + 1) * k));
    const m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m));
    const total = e.reduce((s, x) => s + x, 0);
    const p = e.map((x) => x / total);
    const pv = p.reduce((s, x, j) => s + x * (v[i * k + j] as number), 0);
    for (let j = 0; j < k; j++) {
      out[i * k + j] = (w[i] as number) * (p[j] as number) * ((v[i * k + j] as number) - pv);
    }
  }
  return Float32Array.from(out);
}

function build(name: string, z: Float32Array, labels: number[], rng: Rng): SoftmaxCeCase {
  const b = labels.length;
  const k = z.length / b;
  const w = Float32Array.from({ length: b }, () => rng.normal());
  const v = Float32Array.from({ length: b * k }, () => rng.normal());
  const badRows = new Set(
    labels
      .map((_, i) => i)
      .filter((i) => z.subarray(i * k, (i + 1) * k).some((x) => !Number.isFinite(x))),
  );
  const run = (ce: (logits: tf.Tensor2D) => tf.Tensor1D, all: boolean) => {
    const logits = tf.tensor2d(z, [b, k]);
    const weights = tf.tensor1d(w);
    const cotangent = tf.tensor2d(v, [b, k]);
    const first = (x: tf.Tensor) =>
      tf.grad((q: tf.Tensor) => tf.sum(tf.mul(ce(q as tf.Tensor2D), weights)))(x);
    const out = all
      ? [
          ce(logits),
          first(logits),
          tf.grad((x: tf.Tensor) => tf.sum(tf.mul(first(x), cotangent)))(logits),
        ]
      : [first(logits)];
    tf.dispose([logits, weights, cotangent]);
    return out;
  };
  const ids = () => tf.tensor1d(labels, 'int32');
  return {
    name,
    viaKernel: () => {
      const y = ids();
      const out = run(
        (logits) =>
          tf.engine().runKernel(SPARSE_SOFTMAX_CE_KERNEL, { logits, labels: y }) as tf.Tensor1D,
        true,
      );
      y.dispose();
      return out;
    },
    viaOps: () => {
      const y = ids();
      const out = run(
        (logits) =>
          tf.sub(
            tf.logSumExp(logits, 1),
            tf.sum(tf.mul(logits, tf.oneHot(y, k)), 1),
          ) as tf.Tensor1D,
        false,
      );
      y.dispose();
      return out;
    },
    check: ([loss, grad, second], [refGrad]) => {
      const refSecond = expectedSecondOrder(z, w, v, k);
      const expected = expectedLoss(z, labels, k);
      const got = Array.from(loss as Float32Array);
      for (const [i, e] of expected.entries()) {
        if (badRows.has(i)) expect(got[i], `row ${i}`).toBeNaN();
        else
          expect(Math.abs((got[i] as number) - e), `row ${i}`).toBeLessThan(
            1e-5 * Math.max(1, Math.abs(e)),
          );
      }
      // Gradients: tfjs's ops' values on finite rows.
      const finite = (a: Float32Array) =>
        Float32Array.from(Array.from(a).filter((_, j) => !badRows.has(Math.floor(j / k))));
      for (const [i, [mine, ref, tolerance]] of [
        [grad, refGrad, 1e-5],
        [second, refSecond, 1e-4],
      ].entries()) {
        const values = mine as Float32Array;
        // The kernel's contract for the first order; the second goes through tfjs's softmax.
        for (let j = 0; i === 0 && j < values.length; j++) {
          const bad = badRows.has(Math.floor(j / k));
          expect(Number.isNaN(values[j]), `entry ${j}`).toBe(bad);
        }
        expect(relativeError(finite(values), finite(ref as Float32Array))).toBeLessThan(
          tolerance as number,
        );
      }
    },
  };
}

export function softmaxCrossEntropyCases(rng: Rng): SoftmaxCeCase[] {
  const normal = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => rng.normal() * scale);
  return [
    build('random logits, 7 examples x 5 classes', normal(35, 3), [0, 4, 2, 2, 1, 3, 0], rng),
    build(
      'two classes, a batch of 33 (several GPU workgroups)',
      normal(66, 2),
      Array.from({ length: 33 }, (_, i) => i % 2),
      rng,
    ),
    build(
      'logits of ±1e4 stay finite',
      Float32Array.from([1e4, -1e4, 0, -1e4, 1e4, 0, 1e4, 1e4, -1e4]),
      [0, 0, 2],
      rng,
    ),
    build('labels outside [0, K) select no class', normal(12, 1), [-1, 4, 1], rng),
    build(
      'a non-finite logit makes its row NaN, and only its row',
      Float32Array.from([
        1,
        Number.NaN,
        0,
        2,
        Number.POSITIVE_INFINITY,
        1,
        0.5,
        -0.5,
        3,
        Number.NEGATIVE_INFINITY,
        0,
        1,
      ]),
      [0, 1, 2, 2],
      rng,
    ),
  ];
}
