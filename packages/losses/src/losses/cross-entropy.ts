// Softmax and binary (sigmoid) cross-entropy: the exponentially-tailed baseline of every
// importance-weighting comparison (reference B.2).

import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLoss } from '../define.js';
import { binaryMargin, crossEntropy, logitWidth } from '../internal/ops.js';

export const softmaxCrossEntropy = defineLoss({
  name: 'ce',
  description: 'Softmax cross-entropy, log Σ_j e^{z_j} - z_y (the importance-weighted baseline).',
  params: z.strictObject({}),
  properties: { logits: 'multiclass', nonNegative: true, shiftInvariant: true, monotone: true },
  create: () => ({
    name: 'ce',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'ce', 'multiclass');
        return crossEntropy(logits, labels);
      }),
  }),
});

export const binaryCrossEntropy = defineLoss({
  name: 'bce',
  description: 'Binary (sigmoid) cross-entropy softplus(-v) on the margin v of 1 or 2 logits.',
  params: z.strictObject({}),
  properties: { logits: 'binary', nonNegative: true, shiftInvariant: true, monotone: true },
  create: () => ({
    name: 'bce',
    perExample: (logits, labels) =>
      tf.tidy(() => {
        logitWidth(logits, 'bce', 'binary');
        return tf.softplus(tf.neg(binaryMargin(logits, labels))) as tf.Tensor1D;
      }),
  }),
});
