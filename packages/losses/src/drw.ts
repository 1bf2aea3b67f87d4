// Deferred re-weighting (DRW, Cao et al. 2019; reference B.5): train unweighted, then switch to
// class weights from a given epoch (160 of 200 in the LDAM-DRW code). The weights themselves are
// the caller's, typically `effectiveNumberWeights(counts, 0.9999)` from @iwlab/datasets; weights
// stay on the batch, so this schedule produces per-example weights rather than changing a loss.

import { assertValidWeights, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

export interface DeferredReweightingOptions {
  /** Per-class weights used from `startEpoch` on, e.g. class-balanced (effective-number) weights. */
  readonly classWeights: readonly number[];
  /** First (0-based) epoch that uses `classWeights`; earlier epochs weigh every class 1. Default 160. */
  readonly startEpoch?: number;
}

export interface DeferredReweighting {
  readonly startEpoch: number;
  /** The per-class weights of `epoch`: all ones before `startEpoch`, `classWeights` from it on. */
  classWeightsAt(epoch: number): readonly number[];
  /** Per-example weights w(y_i) for `epoch`, float32 [B], to multiply into `batch.w`. */
  exampleWeights(labels: tf.Tensor1D, epoch: number): tf.Tensor1D;
}

export function deferredReweighting(options: DeferredReweightingOptions): DeferredReweighting {
  const { classWeights, startEpoch = 160 } = options;
  assertValidWeights(classWeights, 'classWeights');
  if (!Number.isInteger(startEpoch) || startEpoch < 0) {
    throw new SpecError(`startEpoch must be a non-negative integer, got ${startEpoch}`, {
      field: 'startEpoch',
    });
  }
  const weights = [...classWeights];
  const ones = weights.map(() => 1);
  const classWeightsAt = (epoch: number): readonly number[] => {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new SpecError(`epoch must be a non-negative integer, got ${epoch}`, { field: 'epoch' });
    }
    return epoch < startEpoch ? ones : weights;
  };
  return {
    startEpoch,
    classWeightsAt,
    exampleWeights: (labels, epoch) => {
      const perClass = classWeightsAt(epoch);
      return tf.tidy(
        () =>
          tf.gather(
            tf.tensor1d(perClass as number[], 'float32'),
            tf.cast(labels, 'int32'),
          ) as tf.Tensor1D,
      );
    },
  };
}
