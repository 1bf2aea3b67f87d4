// Losses that move the logits by per-class constants computed from the training-set class
// counts: logit adjustment (Menon et al. 2021, B.6), balanced softmax (Ren et al. 2020, B.10),
// LDAM (Cao et al. 2019, B.5) and VS (Kini et al. 2021, B.7).

import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss } from '../define.js';
import {
  addPerClass,
  crossEntropy,
  labelMask,
  logitWidth,
  requireClassColumns,
  scalePerClass,
} from '../internal/ops.js';
import { priorsFromCounts, requireClassCounts } from '../internal/setup.js';

export const logitAdjustedLoss = defineLoss({
  name: 'logit-adjusted',
  description: 'Logit-adjusted cross-entropy CE(z + τ·log π, y) (Menon et al. 2021).',
  params: z.strictObject({
    /** Temperature τ ≥ 0 of the log-prior offset; 1 in the paper. */
    tau: z.number().nonnegative().default(1),
  }),
  properties: {
    logits: 'multiclass',
    requires: ['classCounts'],
    nonNegative: true,
    shiftInvariant: true,
    monotone: true,
  },
  create: ({ tau }, setup) => {
    const offsets = priorsFromCounts(requireClassCounts(setup, 'logit-adjusted')).map(
      (p) => tau * Math.log(p),
    );
    return {
      name: 'logit-adjusted',
      perExample: (logits, labels) =>
        tf.tidy(() => {
          logitWidth(logits, 'logit-adjusted', 'multiclass');
          requireClassColumns(logits, offsets.length, 'logit-adjusted');
          return crossEntropy(addPerClass(logits, offsets), labels);
        }),
    };
  },
});

/**
 * Post-hoc logit adjustment: train with plain CE, then predict argmax_j (z_j - τ·log π_j).
 * Returns the adjusted logits; take their argmax for the prediction.
 */
export function adjustLogits(
  logits: tf.Tensor2D,
  classCounts: readonly number[],
  tau = 1,
): tf.Tensor2D {
  const counts = requireClassCounts(
    { numClasses: logits.shape[1], classCounts },
    'post-hoc logit adjustment',
  );
  const offsets = priorsFromCounts(counts).map((p) => -tau * Math.log(p));
  return tf.tidy(() => addPerClass(logits, offsets));
}

export const balancedSoftmaxLoss = defineLoss({
  name: 'balanced-softmax',
  description: 'Balanced softmax CE(z + log n, y) (Ren et al. 2020); predict with plain argmax z.',
  params: z.strictObject({}),
  properties: {
    logits: 'multiclass',
    requires: ['classCounts'],
    nonNegative: true,
    shiftInvariant: true,
    monotone: true,
  },
  create: (_params, setup) => {
    const offsets = requireClassCounts(setup, 'balanced-softmax').map((n) => Math.log(n));
    return {
      name: 'balanced-softmax',
      perExample: (logits, labels) =>
        tf.tidy(() => {
          logitWidth(logits, 'balanced-softmax', 'multiclass');
          requireClassColumns(logits, offsets.length, 'balanced-softmax');
          return crossEntropy(addPerClass(logits, offsets), labels);
        }),
    };
  },
});

/** LDAM margins Δ_j ∝ n_j^{-1/4}, scaled so that the largest is `maxMargin`. */
export function ldamMargins(classCounts: readonly number[], maxMargin = 0.5): number[] {
  const raw = classCounts.map((n) => n ** -0.25);
  const largest = Math.max(...raw);
  return raw.map((m) => (m / largest) * maxMargin);
}

export const ldamLoss = defineLoss({
  name: 'ldam',
  description:
    'Label-distribution-aware margin loss CE(s·(z - Δ_y·e_y), y), Δ_j ∝ n_j^-1/4 (Cao et al. 2019).',
  params: z.strictObject({
    /** The largest margin, given to the rarest class; 0.5 in the official code. */
    maxMargin: z.number().nonnegative().default(0.5),
    /** Logit scale s; 30 in the official code, which feeds it cosine logits in [-1, 1]. */
    scale: z.number().positive().default(30),
  }),
  properties: {
    logits: 'multiclass',
    requires: ['classCounts'],
    nonNegative: true,
    shiftInvariant: true,
    monotone: true,
  },
  create: ({ maxMargin, scale }, setup) => {
    const margins = ldamMargins(requireClassCounts(setup, 'ldam'), maxMargin);
    return {
      name: 'ldam',
      perExample: (logits, labels) =>
        tf.tidy(() => {
          logitWidth(logits, 'ldam', 'multiclass');
          requireClassColumns(logits, margins.length, 'ldam');
          const mask = labelMask(labels, logits.shape[1]);
          const shifted = tf.sub(logits, scalePerClass(mask, margins));
          return crossEntropy(tf.mul(shifted, scale) as tf.Tensor2D, labels);
        }),
    };
  },
});

/** VS loss constants: multiplicative Δ_j = (n_j / n_max)^γ and additive ι_j = τ·log π_j. */
export function vsParameters(
  classCounts: readonly number[],
  gamma: number,
  tau: number,
): { scale: number[]; offset: number[] } {
  const largest = Math.max(...classCounts);
  return {
    scale: classCounts.map((n) => (n / largest) ** gamma),
    offset: priorsFromCounts(classCounts).map((p) => tau * Math.log(p)),
  };
}

export const vsLoss = defineLoss({
  name: 'vs',
  description:
    'Vector-scaling loss CE(Δ ⊙ z + ι, y), Δ_j = (n_j/n_max)^γ, ι_j = τ·log π_j (Kini et al. 2021).',
  params: z.strictObject({
    /** Exponent γ ≥ 0 of the multiplicative scale; 0.3 in the official code (0 gives LA). */
    gamma: z.number().nonnegative().default(0.3),
    /** Temperature τ ≥ 0 of the additive log-prior offset; 1 in the official code (0 gives CDT). */
    tau: z.number().nonnegative().default(1),
  }),
  properties: {
    logits: 'multiclass',
    requires: ['classCounts'],
    nonNegative: true,
    shiftInvariant: false,
    monotone: true,
  },
  create: ({ gamma, tau }, setup) => {
    const { scale, offset } = vsParameters(requireClassCounts(setup, 'vs'), gamma, tau);
    return {
      name: 'vs',
      perExample: (logits, labels) =>
        tf.tidy(() => {
          logitWidth(logits, 'vs', 'multiclass');
          requireClassColumns(logits, scale.length, 'vs');
          return crossEntropy(addPerClass(scalePerClass(logits, scale), offset), labels);
        }),
    };
  },
});
