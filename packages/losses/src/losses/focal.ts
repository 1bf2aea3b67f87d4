// Focal loss (Lin et al., ICCV 2017; reference B.8) in its softmax form (as in the LDAM-DRW code)
// and its sigmoid form (as in torchvision). The modulator (1 - p_t)^γ is computed in log space,
// so it is exact where p_t rounds to 1 and finite where it rounds to 0.

import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss } from '../define.js';
import {
  binaryMargin,
  crossEntropy,
  labelMask,
  logitWidth,
  logSumExpOthers,
  requireClassColumns,
  signedLabels,
} from '../internal/ops.js';
import { requirePerClass } from '../internal/setup.js';

export const softmaxFocalLoss = defineLoss({
  name: 'focal',
  description: 'Softmax focal loss α_y·(1 - p_y)^γ·CE(z, y) (Lin et al. 2017).',
  params: z.strictObject({
    /** Focusing exponent γ ≥ 0; 1 in the LDAM-DRW CIFAR runs, 0 gives CE. */
    gamma: z.number().nonnegative().default(1),
    /** Optional per-class factor α_y (one entry per class); null for none. */
    alpha: z.array(z.number().nonnegative()).nullable().default(null),
  }),
  properties: { logits: 'multiclass', nonNegative: true, shiftInvariant: true, monotone: true },
  create: ({ gamma, alpha }, setup) => {
    const classFactor = alpha === null ? null : requirePerClass(alpha, setup, 'focal', 'alpha');
    return {
      name: 'focal',
      perExample: (logits, labels) =>
        tf.tidy(() => {
          logitWidth(logits, 'focal', 'multiclass');
          const ce = crossEntropy(logits, labels);
          // log(1 - p_y) = log Σ_{j≠y} e^{z_j} - log Σ_j e^{z_j}.
          const logRest = tf.sub(logSumExpOthers(logits, labels), tf.logSumExp(logits, 1));
          const focal = tf.mul(tf.exp(tf.mul(gamma, logRest)), ce) as tf.Tensor1D;
          if (classFactor === null) return focal;
          requireClassColumns(logits, classFactor.length, 'focal');
          const mask = labelMask(labels, logits.shape[1]);
          const alphaY = tf.sum(tf.mul(mask, tf.tensor1d(classFactor as number[])), 1);
          return tf.mul(alphaY, focal) as tf.Tensor1D;
        }),
    };
  },
});

export const sigmoidFocalLoss = defineLoss({
  name: 'sigmoid-focal',
  description:
    'Sigmoid focal loss α_t·(1 - p_t)^γ·softplus(-v) on 1 or 2 logits (torchvision form).',
  params: z.strictObject({
    /** Weight α ∈ [0, 1] of the positive class (1 - α for the negative); null for none. */
    alpha: z.number().min(0).max(1).nullable().default(0.25),
    /** Focusing exponent γ ≥ 0; 2 in the paper, 0 gives (α-weighted) BCE. */
    gamma: z.number().nonnegative().default(2),
  }),
  properties: { logits: 'binary', nonNegative: true, shiftInvariant: true, monotone: true },
  create: ({ alpha, gamma }) => ({
    name: 'sigmoid-focal',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'sigmoid-focal', 'binary');
        const margin = binaryMargin(logits, labels);
        // p_t = σ(v), so log(1 - p_t) = -softplus(v) and -log p_t = softplus(-v).
        const modulator = tf.exp(tf.mul(-gamma, tf.softplus(margin)));
        const focal = tf.mul(modulator, tf.softplus(tf.neg(margin))) as tf.Tensor1D;
        if (alpha === null) return focal;
        // α_t = α for label 1 and 1 - α for label 0: (1 + ỹ)/2·α + (1 - ỹ)/2·(1 - α).
        const alphaT = tf.add(0.5, tf.mul(signedLabels(labels), alpha - 0.5));
        return tf.mul(alphaT, focal) as tf.Tensor1D;
      }),
  }),
});
