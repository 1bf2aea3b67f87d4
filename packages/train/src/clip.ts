// Gradient clipping computed entirely on the backend: the global norm is never read back, the
// scale factor min(1, maxNorm / norm) is applied as a tensor.
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

export interface GradientClip {
  /** Rescale all gradients together so their global L2 norm is at most this (PyTorch clip_grad_norm_). */
  readonly maxNorm?: number;
  /** Clamp every gradient element to [-maxValue, maxValue]; applied before maxNorm. */
  readonly maxValue?: number;
}

export function validateGradientClip(clip: GradientClip, field = 'gradientClip'): void {
  for (const key of ['maxNorm', 'maxValue'] as const) {
    const value = clip[key];
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) {
      throw new SpecError(`must be a finite number > 0, got ${value}`, {
        field: `${field}.${key}`,
      });
    }
  }
}

/** The global L2 norm over all gradients, as a scalar tensor. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Clipped copies of `grads`; the caller owns both the inputs and the outputs. */
export function clipGradients(grads: readonly tf.Tensor[], clip: GradientClip): tf.Tensor[] {
  return tf.tidy(() => {
    let out = grads.map((g) =>
      clip.maxValue === undefined ? g.clone() : tf.clipByValue(g, -clip.maxValue, clip.maxValue),
    );
    if (clip.maxNorm !== undefined) {
      const norm = globalNorm(out);
      // max(norm, maxNorm) keeps the factor at exactly 1 below the threshold and avoids 0/0.
      const scale = tf.div(clip.maxNorm, tf.maximum(norm, clip.maxNorm));
      out = out.map((g) => tf.mul(g, scale));
    }
    return out;
  });
}
