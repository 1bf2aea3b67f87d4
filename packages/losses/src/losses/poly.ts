// Polynomially-tailed loss of Wang, Chatterji, Haque & Hashimoto (ICLR 2022), reference B.4: a
// logistic left branch joined at v = 1 to a v^{-α} tail. Weights then rescale margins
// multiplicatively (w·v^{-α} = (v / w^{1/α})^{-α}), which survives interpolation.

import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss } from '../define.js';
import { logitWidth, softMargin } from '../internal/ops.js';

// softplus(-1): dividing by it makes both branches equal 1 at v = 1, so ℓ is continuous.
const LEFT_SCALE = Math.log1p(Math.exp(-1));

/** The left branch: "logit" is logistic, "linear" is linear; both meet the tail at v = 1. */
export type PolyType = 'logit' | 'linear';

/** ℓ_α(v) of the official code's "logit" (default) or "linear" type, on a tensor of margins. */
export function polyTail(
  margin: tf.Tensor1D,
  alpha: number,
  type: PolyType = 'logit',
): tf.Tensor1D {
  return tf.tidy(() => {
    // ℓ(v) = left(min(v, 1)) + right(max(v, 1)) - right(1). No tf.where: its condition would put
    // a comparison (no gradient in tfjs) on the gradient path, and each branch only ever sees
    // inputs from its own side, so v^{-α-1} never meets v = 0.
    const below = tf.minimum(margin, 1);
    const above = tf.maximum(margin, 1);
    if (type === 'linear') {
      // α/(α-1) - v for v ≤ 1 and v^{-α}/(α-1) above: continuous, both 1/(α-1) at v = 1.
      const left = tf.sub(alpha / (alpha - 1), below);
      const right = tf.div(tf.pow(above, -alpha), alpha - 1);
      return tf.sub(tf.add(left, right), 1 / (alpha - 1)) as tf.Tensor1D;
    }
    const left = tf.div(tf.softplus(tf.neg(below)), LEFT_SCALE);
    const right = tf.pow(above, -alpha);
    return tf.sub(tf.add(left, right), 1) as tf.Tensor1D;
  });
}

export const polyLoss = defineLoss({
  name: 'poly',
  description:
    'Polynomially-tailed loss (Wang et al. 2022): softplus(-v)/softplus(-1) for v ≤ 1, v^-α above.',
  params: z
    .strictObject({
      /** Tail exponent α > 0: 1 in the paper's config, 2 in its best runs. */
      alpha: z.number().positive().default(1),
      /** Left branch: "logit" (config default) or "linear" (needs α > 1). */
      type: z.enum(['logit', 'linear']).default('logit'),
    })
    .refine((p) => p.type !== 'linear' || p.alpha > 1, {
      message: 'the "linear" type needs alpha > 1',
      path: ['alpha'],
    }),
  properties: { logits: 'any', nonNegative: true, shiftInvariant: true, monotone: true },
  create: ({ alpha, type }) => ({
    name: 'poly',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'poly', 'any');
        // One logit or two: the binary margin of the official code. K > 2: the smooth margin
        // z_y - log Σ_{j≠y} e^{z_j}, which equals z_y - z_other for K = 2 (our extension).
        return polyTail(softMargin(logits, labels), alpha, type);
      }),
  }),
});
