// Building blocks shared by the losses. Everything goes through log-sum-exp, softplus or
// log-softmax so that values and gradients stay finite for logits of ±1e4 (reference A.9.3).

import { SPARSE_SOFTMAX_CE_KERNEL, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

// Stands in for -∞ when a class must drop out of a log-sum-exp. A finite value keeps every
// intermediate (x - max, its exp, its gradient) free of ∞ - ∞ and 0·∞.
const EXCLUDED_LOGIT = -1e30;

/** Number of logit columns, checked against what the loss accepts. */
export function logitWidth(
  logits: tf.Tensor2D,
  loss: string,
  accepts: 'binary' | 'multiclass' | 'any',
): number {
  if (logits.rank !== 2) {
    throw new SpecError(
      `loss "${loss}" expects logits of shape [B, K], got [${logits.shape.join(', ')}]`,
      {
        field: 'logits',
      },
    );
  }
  const width = logits.shape[1];
  const ok =
    accepts === 'binary'
      ? width === 1 || width === 2
      : accepts === 'multiclass'
        ? width >= 2
        : width >= 1;
  if (!ok) {
    const expected =
      accepts === 'binary'
        ? '1 logit (sigmoid) or 2 logits per example'
        : accepts === 'multiclass'
          ? 'at least 2 logits per example'
          : 'at least 1 logit per example';
    throw new SpecError(`loss "${loss}" expects ${expected}, got ${width}`, { field: 'logits' });
  }
  return width;
}

/** For losses built from per-class constants: one logit column per class of the setup. */
export function requireClassColumns(logits: tf.Tensor2D, numClasses: number, loss: string): void {
  if (logits.shape[1] !== numClasses) {
    throw new SpecError(
      `loss "${loss}" was created for ${numClasses} classes but got ${logits.shape[1]} logits per example`,
      { field: 'logits' },
    );
  }
}

/** One-hot of the labels as float32 [B, K]. */
export function labelMask(labels: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(tf.cast(labels, 'int32'), numClasses), 'float32') as tf.Tensor2D;
}

/** z_y per example. */
export function trueLogit(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const mask = labelMask(labels, logits.shape[1]);
  return tf.sum(tf.mul(logits, mask), 1) as tf.Tensor1D;
}

/**
 * CE(z, y) = log Σ_j e^{z_j} - z_y. One kernel where the backend has @iwlab/core's
 * SPARSE_SOFTMAX_CE_KERNEL (@iwlab/backend registers it on cpu, wasm and webgpu); tfjs's ops
 * elsewhere (58 kernels with the gradient on cpu, against 8). Both give the same values and
 * gradients.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  if (
    logits.dtype === 'float32' &&
    labels.shape[0] === logits.shape[0] &&
    tf.getKernel(SPARSE_SOFTMAX_CE_KERNEL, tf.getBackend()) !== undefined
  ) {
    const ids = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    return tf.engine().runKernel(SPARSE_SOFTMAX_CE_KERNEL, { logits, labels: ids }) as tf.Tensor1D;
  }
  return tf.sub(tf.logSumExp(logits, 1), trueLogit(logits, labels)) as tf.Tensor1D;
}

/** log Σ_{j≠y} e^{z_j}: the log-partition of the wrong classes. Needs K ≥ 2. */
export function logSumExpOthers(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const isTrue = tf.cast(labelMask(labels, logits.shape[1]), 'bool');
  const others = tf.where(isTrue, tf.fill(logits.shape, EXCLUDED_LOGIT), logits);
  return tf.logSumExp(others, 1) as tf.Tensor1D;
}

/** max_{j≠y} z_j. Needs K ≥ 2. */
export function maxOtherLogit(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const isTrue = tf.cast(labelMask(labels, logits.shape[1]), 'bool');
  const others = tf.where(isTrue, tf.fill(logits.shape, EXCLUDED_LOGIT), logits);
  return tf.max(others, 1) as tf.Tensor1D;
}

/** ỹ = +1 for label 1 and -1 for label 0, float32. */
export function signedLabels(labels: tf.Tensor1D): tf.Tensor1D {
  return tf.sub(tf.mul(tf.cast(labels, 'float32'), 2), 1) as tf.Tensor1D;
}

/**
 * Binary margin v (reference B.0): ỹ·s for one logit s, ỹ·(z_1 - z_0) for two logits.
 * Callers have checked the width with `logitWidth`.
 */
export function binaryMargin(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const score =
    logits.shape[1] === 1
      ? tf.reshape(logits, [-1])
      : tf.sub(tf.slice(logits, [0, 1], [-1, 1]), tf.slice(logits, [0, 0], [-1, 1]));
  return tf.mul(tf.reshape(score, [-1]), signedLabels(labels)) as tf.Tensor1D;
}

/**
 * The smooth multiclass margin v = z_y - log Σ_{j≠y} e^{z_j}. CE = softplus(-v), and for K = 2
 * it is exactly the binary margin z_y - z_other, so binary formulas in v extend to K classes.
 * With one logit it falls back to the binary margin ỹ·s.
 */
export function softMargin(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  if (logits.shape[1] === 1) return binaryMargin(logits, labels);
  return tf.sub(trueLogit(logits, labels), logSumExpOthers(logits, labels)) as tf.Tensor1D;
}

/** Adds a constant per-class row vector to every example's logits. */
export function addPerClass(logits: tf.Tensor2D, perClass: readonly number[]): tf.Tensor2D {
  return tf.add(logits, tf.tensor1d(perClass as number[], 'float32')) as tf.Tensor2D;
}

/** Multiplies every example's logits by a constant per-class row vector. */
export function scalePerClass(logits: tf.Tensor2D, perClass: readonly number[]): tf.Tensor2D {
  return tf.mul(logits, tf.tensor1d(perClass as number[], 'float32')) as tf.Tensor2D;
}
