// Shape checks and the one place where a single-logit binary model is made to look like a
// two-logit one, so every metric handles sigmoid models (reference A.3's logistic regression)
// and softmax models the same way.
import type { Batch } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Checks the shapes of one batch against the metric's class count and returns the batch size.
 * Shapes are static, so this costs no read-back. A [B, 1] logit is accepted for 2 classes: it is
 * the sigmoid logit s of class 1, equivalent to the two logits [0, s].
 */
export function checkBatch(metric: string, logits: tf.Tensor, batch: Batch, numClasses: number) {
  if (logits.rank !== 2) {
    throw new SpecError(`${metric}: logits must be [batch, classes], got shape [${logits.shape}]`, {
      field: 'logits',
    });
  }
  const [size, width] = logits.shape as [number, number];
  if (width !== numClasses && !(numClasses === 2 && width === 1)) {
    throw new SpecError(
      `${metric}: logits have ${width} columns but the metric was built for ${numClasses} classes` +
        (numClasses === 2 ? ' (1 sigmoid logit or 2 logits)' : ''),
      { field: 'logits' },
    );
  }
  if (batch.y.rank !== 1 || batch.y.shape[0] !== size) {
    throw new SpecError(
      `${metric}: labels must have shape [${size}] to match the logits, got [${batch.y.shape}]`,
      { field: 'batch.y' },
    );
  }
  return size;
}

/** Logits as [B, K] with K = numClasses (a [B, 1] sigmoid logit s becomes [0, s]). */
export function classLogits(logits: tf.Tensor2D): tf.Tensor2D {
  if (logits.shape[1] !== 1) return logits;
  return tf.tidy(() => tf.concat([tf.zerosLike(logits), logits], 1));
}

/** Predicted class per example, int32 [B]; ties go to the lowest class id (tf.argMax). */
export function predictedClass(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(classLogits(logits), 1));
}

/** One-hot float32 [B, depth] of int32 ids; ids outside [0, depth) give an all-zero row. */
export function oneHotFloat(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(ids, 'int32'), depth), 'float32') as tf.Tensor2D);
}

/** Replaces the accumulator `old` by `old + delta`, freeing both inputs. */
export function accumulate<T extends tf.Tensor>(old: T, delta: T): T {
  const next = tf.add(old, delta) as T;
  old.dispose();
  delta.dispose();
  return next;
}
