// Fraction predicted per class on a set whose examples have no class in the task (label -1:
// out-of-domain images, noise). @iwlab/metrics' classification metrics rightly refuse such labels,
// and the paper's statistic on these sets needs only the predictions.
import type { Batch, Metric, MetricValues } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

export function unlabeledFractionPredicted(
  numClasses: number,
  classNames: readonly string[],
): Metric<tf.Tensor1D> {
  return {
    name: 'fractionPredicted',
    init: () => tf.zeros([numClasses]) as tf.Tensor1D,
    update(state: tf.Tensor1D, logits: tf.Tensor2D, _batch: Batch): tf.Tensor1D {
      const next = tf.tidy(() =>
        tf.add(state, tf.sum(tf.cast(tf.oneHot(tf.argMax(logits, 1), numClasses), 'float32'), 0)),
      ) as tf.Tensor1D;
      state.dispose();
      return next;
    },
    async result(state: tf.Tensor1D): Promise<MetricValues> {
      const counts = Array.from(await state.data());
      const total = counts.reduce((a, b) => a + b, 0);
      const out: MetricValues = { count: total };
      if (total === 0) return out;
      counts.forEach((c, k) => {
        out[`fractionPredicted.${classNames[k] ?? k}`] = c / total;
      });
      return out;
    },
    dispose: (state: tf.Tensor1D) => state.dispose(),
  };
}
