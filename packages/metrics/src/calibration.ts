// Expected calibration error (Guo et al. 2017): top-label confidence max_k softmax(z)_k is cut
// into M equal-width bins over [0, 1]; ECE = Σ_b (n_b/N)·|acc_b − conf_b|. Not reported by the
// papers in the reference (B.15 lists it as an optional extra), so the definition is the common one.
import type { Metric } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, checkBatch, classLogits, oneHotFloat } from './internal/logits.js';
import { checkCount } from './internal/names.js';

export interface CalibrationOptions {
  readonly numClasses: number;
  /** Number of equal-width confidence bins (default 15). */
  readonly bins?: number;
}

export interface CalibrationState {
  /** Float32 [M, 3]: examples, Σ confidence, Σ correct per bin. */
  readonly bins: tf.Tensor2D;
  readonly seen: number;
}

/**
 * Result keys: `ece` and `mce` (the largest |acc_b − conf_b| over non-empty bins). Bin b holds
 * confidences in [b/M, (b+1)/M), the last bin also 1. Empty bins contribute nothing; with no
 * examples both keys are omitted. A 1-logit binary model's confidence is max(σ(s), 1 − σ(s)).
 */
export function expectedCalibrationError(options: CalibrationOptions): Metric<CalibrationState> {
  checkCount(options.numClasses, 'numClasses');
  const m = options.bins ?? 15;
  checkCount(m, 'bins');
  const name = 'calibration';
  return {
    name,
    init: () => ({ bins: tf.zeros([m, 3]) as tf.Tensor2D, seen: 0 }),
    update(state, logits, batch) {
      const size = checkBatch(name, logits, batch, options.numClasses);
      const delta = tf.tidy(() => {
        const probs = tf.softmax(classLogits(logits));
        const confidence = tf.max(probs, 1);
        const correct = tf.cast(
          tf.equal(tf.argMax(probs, 1), tf.cast(batch.y, 'int32')),
          'float32',
        );
        const bin = tf.minimum(tf.cast(tf.floor(tf.mul(confidence, m)), 'int32'), m - 1);
        const columns = tf.stack([tf.onesLike(confidence), confidence, correct], 1) as tf.Tensor2D;
        return tf.matMul(oneHotFloat(bin as tf.Tensor1D, m), columns, true, false) as tf.Tensor2D;
      });
      return { bins: accumulate(state.bins, delta), seen: state.seen + size };
    },
    async result(state) {
      const flat = await state.bins.data();
      let total = 0;
      let gapSum = 0;
      let maxGap = 0;
      for (let b = 0; b < m; b++) {
        const n = flat[3 * b] as number;
        if (n === 0) continue;
        const gap = Math.abs((flat[3 * b + 2] as number) - (flat[3 * b + 1] as number));
        total += n;
        gapSum += gap;
        maxGap = Math.max(maxGap, gap / n);
      }
      return total > 0 ? { ece: gapSum / total, mce: maxGap } : {};
    },
    dispose: (state) => state.bins.dispose(),
  };
}
