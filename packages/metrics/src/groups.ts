// Group metrics of reference B.11 / B.15 (Group DRO, Sagawa et al. 2020): accuracy per group,
// the worst group, and two averages. Accumulated on the backend as one [G, 2] matrix of
// (examples, correct) per group: onehot(group)ᵀ · [1, correct].
import type { Metric, MetricValues } from '@iwlab/core';
import { DataError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, checkBatch, oneHotFloat, predictedClass } from './internal/logits.js';
import { checkCount, labelsFor } from './internal/names.js';

export interface GroupAccuracyOptions {
  readonly numClasses: number;
  readonly numGroups: number;
  readonly groupNames?: readonly string[];
  /**
   * Training-set proportion of each group (any non-negative numbers with a positive sum; they are
   * normalized). When given, `trainWeightedGroupAccuracy` = Σ_g p_g·acc_g is reported: the
   * "average accuracy" Group DRO reports on Waterbirds.
   */
  readonly groupProportions?: readonly number[];
}

export interface GroupState {
  /** Float32 [G, 2]: examples and correct predictions per group. */
  readonly stats: tf.Tensor2D;
  readonly seen: number;
}

/**
 * Needs `batch.group` (int32 group ids in [0, G)). Result keys:
 * - `groupCount.<g>`, `groupAccuracy.<g>`;
 * - `worstGroupAccuracy` = min_g acc_g;
 * - `averageGroupAccuracy` = mean_g acc_g (the "reweighted test accuracy" with w = 1/n_g);
 * - `trainWeightedGroupAccuracy` when `groupProportions` is given.
 *
 * Empty groups: a group with no examples has no `groupAccuracy.<g>` key and is left out of the
 * worst and average accuracies. `trainWeightedGroupAccuracy` is omitted when any group with a
 * positive training proportion has no examples (its accuracy is unknown, and silently
 * renormalizing would change what the number means). No result is ever NaN.
 */
export function groupAccuracy(options: GroupAccuracyOptions): Metric<GroupState> {
  checkCount(options.numClasses, 'numClasses');
  checkCount(options.numGroups, 'numGroups');
  const g = options.numGroups;
  const labels = labelsFor(g, options.groupNames, 'groupNames');
  const proportions = normalizeProportions(options.groupProportions, g);
  const name = 'groupAccuracy';
  return {
    name,
    init: () => ({ stats: tf.zeros([g, 2]) as tf.Tensor2D, seen: 0 }),
    update(state, logits, batch) {
      const size = checkBatch(name, logits, batch, options.numClasses);
      const group = batch.group;
      if (group === undefined) {
        throw new DataError(`${name}: the batch has no group ids; the eval set must provide them`, {
          field: 'batch.group',
        });
      }
      if (group.rank !== 1 || group.shape[0] !== size) {
        throw new SpecError(`${name}: group ids must have shape [${size}], got [${group.shape}]`, {
          field: 'batch.group',
        });
      }
      const delta = tf.tidy(() => {
        const correct = tf.cast(
          tf.equal(predictedClass(logits), tf.cast(batch.y, 'int32')),
          'float32',
        );
        const columns = tf.stack([tf.onesLike(correct), correct], 1) as tf.Tensor2D;
        return tf.matMul(oneHotFloat(group, g), columns, true, false) as tf.Tensor2D;
      });
      return { stats: accumulate(state.stats, delta), seen: state.seen + size };
    },
    async result(state) {
      const flat = await state.stats.data();
      const counts = Array.from({ length: g }, (_, i) => flat[2 * i] as number);
      const correct = Array.from({ length: g }, (_, i) => flat[2 * i + 1] as number);
      const total = counts.reduce((a, b) => a + b, 0);
      if (total !== state.seen) {
        throw new DataError(
          `${name}: ${state.seen - total} of ${state.seen} group ids are outside [0, ${g})`,
          { field: 'batch.group' },
        );
      }
      return summarize(labels, counts, correct, proportions);
    },
    dispose: (state) => state.stats.dispose(),
  };
}

function normalizeProportions(p: readonly number[] | undefined, g: number) {
  if (p === undefined) return undefined;
  if (p.length !== g) {
    throw new SpecError(`has ${p.length} entries but there are ${g} groups`, {
      field: 'groupProportions',
    });
  }
  p.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0) {
      throw new SpecError(`is ${v}; proportions must be finite and >= 0`, {
        field: `groupProportions[${i}]`,
      });
    }
  });
  const sum = p.reduce((a, b) => a + b, 0);
  if (sum === 0) throw new SpecError('all proportions are zero', { field: 'groupProportions' });
  return p.map((v) => v / sum);
}

function summarize(
  labels: string[],
  counts: number[],
  correct: number[],
  proportions: number[] | undefined,
): MetricValues {
  const out: MetricValues = {};
  const accuracies: number[] = [];
  let weighted = 0;
  let weightedDefined = proportions !== undefined;
  labels.forEach((label, i) => {
    const n = counts[i] as number;
    out[`groupCount.${label}`] = n;
    const p = proportions?.[i] ?? 0;
    if (n > 0) {
      const acc = (correct[i] as number) / n;
      out[`groupAccuracy.${label}`] = acc;
      accuracies.push(acc);
      weighted += p * acc;
    } else if (p > 0) {
      weightedDefined = false;
    }
  });
  if (accuracies.length > 0) {
    out['worstGroupAccuracy'] = Math.min(...accuracies);
    out['averageGroupAccuracy'] = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  }
  if (weightedDefined) out['trainWeightedGroupAccuracy'] = weighted;
  return out;
}
