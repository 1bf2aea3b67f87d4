// The paper's main statistic (fraction of examples predicted as each class, reference A.4.6) and
// the accuracy family of reference B.15, all read off one confusion matrix that is accumulated on
// the backend: per batch, onehot(y)ᵀ · onehot(argmax z) is a [K, K] matMul, no read-back.
import type { Batch, Metric, MetricValues } from '@iwlab/core';
import { DataError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, checkBatch, oneHotFloat, predictedClass } from './internal/logits.js';
import { checkCount, labelsFor } from './internal/names.js';

export interface ClassificationOptions {
  readonly numClasses: number;
  /** Names used in result keys instead of class ids, e.g. ['cat', 'dog']. */
  readonly classNames?: readonly string[];
  /** Also report every cell as `confusion.<true>.<predicted>` (default true). */
  readonly confusion?: boolean;
}

export interface ConfusionState {
  /** Float32 [K, K] counts, row = true class, column = predicted class. */
  readonly confusion: tf.Tensor2D;
  /** Examples passed to `update`, counted from static shapes. */
  readonly seen: number;
}

/**
 * Every classification statistic of reference B.15 in one pass. Result keys:
 * - `count`: examples seen;
 * - `fractionPredicted.<c>`: (1/N) Σ 1[argmax z = c];
 * - `accuracy`; `classCount.<c>`; `classAccuracy.<c>` (recall of class c);
 * - `balancedAccuracy` (mean of class accuracies) and `worstClassAccuracy` (their minimum);
 * - `confusion.<t>.<p>` unless `confusion: false`.
 *
 * Empty denominators: a class with no examples has no `classAccuracy.<c>` key and is left out of
 * `balancedAccuracy` and `worstClassAccuracy`; with no examples at all only the counts are
 * reported. No result is ever NaN.
 */
export function classificationMetrics(options: ClassificationOptions): Metric<ConfusionState> {
  checkCount(options.numClasses, 'numClasses');
  const k = options.numClasses;
  const labels = labelsFor(k, options.classNames, 'classNames');
  const withConfusion = options.confusion ?? true;
  const name = 'classification';
  return {
    name,
    init: () => ({ confusion: tf.zeros([k, k]) as tf.Tensor2D, seen: 0 }),
    update(state, logits, batch) {
      const size = checkBatch(name, logits, batch, k);
      const delta = batchConfusion(logits, batch, k);
      return { confusion: accumulate(state.confusion, delta), seen: state.seen + size };
    },
    async result(state) {
      const matrix = await readConfusion(state, k, name);
      return summarize(matrix, labels, withConfusion);
    },
    dispose: (state) => state.confusion.dispose(),
  };
}

export interface PredictionCountState {
  /** Float32 [K] counts of examples predicted as each class. */
  readonly predicted: tf.Tensor1D;
  readonly seen: number;
}

/**
 * Only `count` and `fractionPredicted.<c>`: the statistic B&L plot per epoch. It reads the
 * predictions alone and **ignores the labels**, because the paper computes it on sets that have
 * no class of the task (other CIFAR classes, uniform noise), whose labels are -1 or arbitrary.
 */
export function fractionPredicted(
  options: Omit<ClassificationOptions, 'confusion'>,
): Metric<PredictionCountState> {
  checkCount(options.numClasses, 'numClasses');
  const k = options.numClasses;
  const labels = labelsFor(k, options.classNames, 'classNames');
  const name = 'fractionPredicted';
  return {
    name,
    init: () => ({ predicted: tf.zeros([k]) as tf.Tensor1D, seen: 0 }),
    update(state, logits, batch) {
      const size = checkBatch(name, logits, batch, k);
      const delta = tf.tidy(() => tf.sum(oneHotFloat(predictedClass(logits), k), 0) as tf.Tensor1D);
      return { predicted: accumulate(state.predicted, delta), seen: state.seen + size };
    },
    async result(state) {
      const counts = await state.predicted.data();
      const out: MetricValues = { count: state.seen };
      if (state.seen === 0) return out;
      labels.forEach((label, c) => {
        out[`fractionPredicted.${label}`] = (counts[c] as number) / state.seen;
      });
      return out;
    },
    dispose: (state) => state.predicted.dispose(),
  };
}

/**
 * Rebuilds the [K][K] confusion matrix (row = true class) from the `confusion.<t>.<p>` keys of a
 * result, e.g. one read back from the run store.
 */
export function confusionMatrixFrom(
  values: MetricValues,
  numClasses: number,
  classNames?: readonly string[],
): number[][] {
  const labels = labelsFor(numClasses, classNames, 'classNames');
  return labels.map((t) =>
    labels.map((p) => {
      const v = values[`confusion.${t}.${p}`];
      if (v === undefined) {
        throw new DataError(`result has no key confusion.${t}.${p}`, { field: 'values' });
      }
      return v;
    }),
  );
}

function batchConfusion(logits: tf.Tensor2D, batch: Batch, k: number): tf.Tensor2D {
  return tf.tidy(() =>
    tf.matMul(oneHotFloat(batch.y, k), oneHotFloat(predictedClass(logits), k), true, false),
  );
}

/** Reads the matrix back and checks that every label was inside [0, K). */
export async function readConfusion(state: ConfusionState, k: number, metric: string) {
  const flat = await state.confusion.data();
  let total = 0;
  for (const v of flat) total += v;
  if (total !== state.seen) {
    throw new DataError(
      `${metric}: ${state.seen - total} of ${state.seen} labels are outside [0, ${k}); ` +
        `expected int32 class ids 0..${k - 1}`,
      { field: 'batch.y' },
    );
  }
  return Array.from({ length: k }, (_, t) => Array.from(flat.subarray(t * k, (t + 1) * k)));
}

function summarize(matrix: number[][], labels: string[], withConfusion: boolean): MetricValues {
  const out: MetricValues = {};
  const k = labels.length;
  const rowSums = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const n = rowSums.reduce((a, b) => a + b, 0);
  out['count'] = n;
  let correct = 0;
  const classAccuracies: number[] = [];
  for (let c = 0; c < k; c++) {
    const label = labels[c] as string;
    const row = matrix[c] as number[];
    const diag = row[c] as number;
    correct += diag;
    out[`classCount.${label}`] = rowSums[c] as number;
    if ((rowSums[c] as number) > 0) {
      const acc = diag / (rowSums[c] as number);
      out[`classAccuracy.${label}`] = acc;
      classAccuracies.push(acc);
    }
    if (n > 0) {
      let predictedAsC = 0;
      for (const r of matrix) predictedAsC += r[c] as number;
      out[`fractionPredicted.${label}`] = predictedAsC / n;
    }
    if (withConfusion) {
      row.forEach((v, p) => {
        out[`confusion.${label}.${labels[p]}`] = v;
      });
    }
  }
  if (n > 0) out['accuracy'] = correct / n;
  if (classAccuracies.length > 0) {
    out['balancedAccuracy'] = classAccuracies.reduce((a, b) => a + b, 0) / classAccuracies.length;
    out['worstClassAccuracy'] = Math.min(...classAccuracies);
  }
  return out;
}
