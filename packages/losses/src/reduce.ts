// The one place weights meet losses. Every loss returns per-example, unweighted values; this
// function applies the importance weights and the named reduction, so two losses compared in one
// experiment always get the same effective step size.

import type { Reduction } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Σ w_i ℓ_i reduced as `reduction` says:
 * 'mean' → /B (tfjs-style mean(w·ℓ)); 'normalized' → /Σw (PyTorch weighted CE); 'sum' → as is.
 * With 'normalized' and Σw = 0 in a batch the result is 0 (no example counts), never NaN.
 */
export function weightedReduce(
  perExample: tf.Tensor1D,
  weights: tf.Tensor1D,
  reduction: Reduction,
): tf.Scalar {
  if (perExample.shape[0] !== weights.shape[0]) {
    throw new SpecError(
      `per-example loss has ${perExample.shape[0]} values but there are ${weights.shape[0]} weights`,
      { field: 'weights' },
    );
  }
  return tf.tidy(() => {
    const total = tf.sum(tf.mul(perExample, weights));
    switch (reduction) {
      case 'sum':
        return total as tf.Scalar;
      case 'mean':
        return tf.div(total, perExample.shape[0] ?? 1) as tf.Scalar;
      case 'normalized': {
        const wSum = tf.sum(weights);
        // A batch whose weights are all zero contributes 0 (Σwℓ = 0 over 1), not NaN. Not
        // tf.divNoNan: it compares against zerosLike(Σwℓ), an Equal on the gradient path, and
        // tfjs has no gradient for Equal. Here the condition depends on the weights only.
        const divisor = tf.where(tf.greater(wSum, 0), wSum, tf.onesLike(wSum));
        return tf.div(total, divisor) as tf.Scalar;
      }
      default:
        throw new SpecError(
          `unknown reduction "${String(reduction)}"; use mean, normalized or sum`,
          {
            field: 'reduction',
          },
        );
    }
  });
}
