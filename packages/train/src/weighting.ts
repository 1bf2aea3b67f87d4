// Which importance weights a step uses, as a schedule over epochs. This is the DRW hook
// (LDAM-DRW: no weights before epoch E, class-balanced weights from E on), and the switch between
// the batch's own weights and uniform ones that IW-vs-ERM comparisons need.
import type { Batch, Rng } from '@iwlab/core';
import { assertValidWeights, SpecError } from '@iwlab/core';
import type { DeferredReweighting } from '@iwlab/losses';
import * as tf from '@tensorflow/tfjs-core';

/**
 * - 'batch':   the weights the data stream put on the batch;
 * - 'uniform': every example weighs 1 (plain ERM);
 * - { perClass }: w_i = perClass[y_i], ignoring the batch's weights; with `timesBatch`,
 *   w_i = perClass[y_i] · (the batch's w_i), e.g. DRW on top of per-example weights;
 * - a function: any weights computed from the batch (it must return a new float32 [B] tensor);
 *   `rng` is the loop's seeded, checkpointed generator, for rules that draw at random.
 */
export type WeightRule =
  | 'batch'
  | 'uniform'
  | { readonly perClass: readonly number[]; readonly timesBatch?: boolean }
  | ((batch: Batch, epoch: number, rng: Rng) => tf.Tensor1D);

export interface WeightPhase {
  /** First epoch (0-based) this rule applies to; it lasts until the next phase starts. */
  readonly fromEpoch: number;
  readonly weights: WeightRule;
}

/**
 * The loop's phases for a DRW schedule from @iwlab/losses (`deferredReweighting`, which owns the
 * schedule and its validation): uniform weights before its start epoch, its class weights from it on.
 */
export function deferredWeightPhases(
  schedule: Pick<DeferredReweighting, 'startEpoch' | 'classWeightsAt'>,
): WeightPhase[] {
  const { startEpoch } = schedule;
  const late: WeightPhase = {
    fromEpoch: startEpoch,
    weights: { perClass: schedule.classWeightsAt(startEpoch) },
  };
  return startEpoch === 0 ? [late] : [{ fromEpoch: 0, weights: 'uniform' }, late];
}

export function validateWeightPhases(
  phases: readonly WeightPhase[],
  numClasses: number,
  field = 'weighting',
): void {
  let previous = -1;
  phases.forEach((phase, i) => {
    if (!Number.isInteger(phase.fromEpoch) || phase.fromEpoch <= previous) {
      throw new SpecError(
        `fromEpoch must be an integer >= 0 and greater than the previous phase's, got ${phase.fromEpoch}`,
        { field: `${field}[${i}].fromEpoch` },
      );
    }
    previous = phase.fromEpoch;
    const rule = phase.weights;
    if (typeof rule === 'object') {
      assertValidWeights(rule.perClass, `${field}[${i}].weights.perClass`);
      if (rule.perClass.length !== numClasses) {
        throw new SpecError(
          `has ${rule.perClass.length} class weights but the model has ${numClasses} classes`,
          { field: `${field}[${i}].weights.perClass` },
        );
      }
    } else if (typeof rule === 'string' && rule !== 'batch' && rule !== 'uniform') {
      throw new SpecError(`unknown weight rule "${rule}"; use batch, uniform or { perClass }`, {
        field: `${field}[${i}].weights`,
      });
    }
  });
}

/** The phase in force at `epoch` (index into `phases`), or -1 for the batch's own weights. */
export function phaseAt(phases: readonly WeightPhase[], epoch: number): number {
  let current = -1;
  phases.forEach((phase, i) => {
    if (phase.fromEpoch <= epoch) current = i;
  });
  return current;
}

/**
 * The weights one step uses. Returns the batch's own tensor for 'batch' (not a copy), otherwise
 * a new tensor the caller disposes. `classWeights` is the perClass vector already on the backend.
 */
export function stepWeights(
  rule: WeightRule,
  batch: Batch,
  epoch: number,
  classWeights: tf.Tensor1D | null,
  rng: Rng,
): tf.Tensor1D {
  if (rule === 'batch') return batch.w;
  if (rule === 'uniform') return tf.onesLike(batch.w);
  if (typeof rule === 'function') return rule(batch, epoch, rng);
  if (!classWeights) throw new Error('class weights were not prepared for a perClass rule');
  return tf.tidy(() => {
    const perClass = tf.gather(classWeights, batch.y) as tf.Tensor1D;
    return rule.timesBatch ? tf.mul(perClass, batch.w) : perClass;
  });
}
