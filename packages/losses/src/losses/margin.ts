// The classical margin losses of reference B.3: hinge (binary and Crammer-Singer), squared and
// exponential. None of them restores importance weighting at interpolation; they are here to
// show that.

import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss } from '../define.js';
import { binaryMargin, labelMask, logitWidth, maxOtherLogit, trueLogit } from '../internal/ops.js';

export const hingeLoss = defineLoss({
  name: 'hinge',
  description: 'Binary hinge max(0, 1 - v) on the margin v of 1 or 2 logits.',
  params: z.strictObject({}),
  properties: { logits: 'binary', nonNegative: true, shiftInvariant: true, monotone: true },
  create: () => ({
    name: 'hinge',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'hinge', 'binary');
        return tf.relu(tf.sub(1, binaryMargin(logits, labels))) as tf.Tensor1D;
      }),
  }),
});

export const multiclassHingeLoss = defineLoss({
  name: 'multiclass-hinge',
  description: 'Crammer-Singer multiclass hinge max(0, 1 + max_{j≠y} z_j - z_y).',
  params: z.strictObject({}),
  properties: { logits: 'multiclass', nonNegative: true, shiftInvariant: true, monotone: true },
  create: () => ({
    name: 'multiclass-hinge',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'multiclass-hinge', 'multiclass');
        const violation = tf.sub(maxOtherLogit(logits, labels), trueLogit(logits, labels));
        return tf.relu(tf.add(1, violation)) as tf.Tensor1D;
      }),
  }),
});

export const squaredLoss = defineLoss({
  name: 'squared',
  description: 'Binary squared loss (1 - v)² on the margin v of 1 or 2 logits.',
  params: z.strictObject({}),
  properties: { logits: 'binary', nonNegative: true, shiftInvariant: true, monotone: false },
  create: () => ({
    name: 'squared',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'squared', 'binary');
        return tf.square(tf.sub(1, binaryMargin(logits, labels))) as tf.Tensor1D;
      }),
  }),
});

export const squaredOneHotLoss = defineLoss({
  name: 'squared-onehot',
  description: 'Multiclass squared loss ½‖z - onehot(y)‖² on raw logits.',
  params: z.strictObject({}),
  properties: { logits: 'multiclass', nonNegative: true, shiftInvariant: false, monotone: false },
  create: () => ({
    name: 'squared-onehot',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'squared-onehot', 'multiclass');
        const residual = tf.sub(logits, labelMask(labels, logits.shape[1]));
        return tf.mul(0.5, tf.sum(tf.square(residual), 1)) as tf.Tensor1D;
      }),
  }),
});

export const exponentialLoss = defineLoss({
  name: 'exponential',
  description:
    'Binary exponential loss e^{-v} on the margin v of 1 or 2 logits, continued linearly below v = linearizeBelow.',
  params: z.strictObject({
    // e^{-v} itself overflows float32 below v ≈ -88, so no exact implementation is finite at
    // logits of ±1e4. Below this margin the loss follows its tangent line instead (value and slope
    // continuous, still convex and decreasing), the usual cure for exploding exponential tails.
    // Everywhere above it, the loss is exactly e^{-v}.
    linearizeBelow: z.number().max(0).min(-80).default(-50),
  }),
  properties: {
    logits: 'binary',
    nonNegative: true,
    shiftInvariant: true,
    monotone: true,
  },
  create: ({ linearizeBelow }) => ({
    name: 'exponential',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'exponential', 'binary');
        const v = binaryMargin(logits, labels);
        // e^{-max(v, v0)} · (1 + max(v0 - v, 0)): e^{-v} for v >= v0, the tangent at v0 below it.
        const exact = tf.exp(tf.neg(tf.maximum(v, linearizeBelow)));
        return tf.mul(exact, tf.add(1, tf.relu(tf.sub(linearizeBelow, v)))) as tf.Tensor1D;
      }),
  }),
});
