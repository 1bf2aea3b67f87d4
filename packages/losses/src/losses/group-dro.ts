// Group DRO (Sagawa, Koh, Hashimoto & Liang, ICLR 2020; reference B.11) as a per-example loss.
// The objective Σ_g q_g·L̄_g is written per example as q_{g_i}·ℓ_i·B / n_{g_i}(batch), so the
// trainer's 'mean' reduction (Σ/B) with unit weights gives exactly Σ_g q_g·L̄_g.

import type { LossContext, WeightedLoss } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { LossSetup } from '../define.js';
import { defineLoss } from '../define.js';
import { instantiateByName } from '../lookup.js';

/** Group DRO with its adversarial group weights q (kept on the backend, never differentiated). */
export interface GroupDroLoss extends WeightedLoss {
  readonly numGroups: number;
  /** The current q, read back (for logging and checkpoints). */
  groupWeights(): Promise<number[]>;
  /** Restores q, e.g. from a checkpoint. */
  setGroupWeights(q: readonly number[]): void;
  /** Frees q. */
  dispose(): void;
}

const params = z.strictObject({
  /** Step size η_q of the exponentiated-gradient update of q; 0.01 in the official README. */
  stepSize: z.number().positive().default(0.01),
  /** Generalization adjustment C ≥ 0: group g's loss is raised by C/√n_g; 0 in the README. */
  generalizationAdjustment: z.number().nonnegative().default(0),
  /** Number of groups G; taken from context.groupCounts when omitted. */
  numGroups: z.number().int().positive().optional(),
  /** The per-example loss ℓ that is averaged per group, by registry name. */
  base: z.string().default('ce'),
  /** Parameters of the base loss. */
  baseParams: z.record(z.string(), z.unknown()).default({}),
});

function resolveGroupCount(numGroups: number | undefined, setup: LossSetup): number {
  const fromCounts = setup.groupCounts?.length;
  if (numGroups !== undefined && fromCounts !== undefined && numGroups !== fromCounts) {
    throw new SpecError(
      `group-dro: numGroups is ${numGroups} but context.groupCounts has ${fromCounts} entries`,
      { field: 'params.numGroups' },
    );
  }
  const groups = numGroups ?? fromCounts;
  if (groups === undefined) {
    throw new SpecError(
      'group-dro needs the number of groups: pass params.numGroups or context.groupCounts',
      {
        field: 'context.groupCounts',
      },
    );
  }
  return groups;
}

/** C/√n_g per group, or zeros when C = 0 (then group counts are not needed). */
function adjustments(c: number, groups: number, setup: LossSetup): number[] {
  if (c === 0) return new Array<number>(groups).fill(0);
  const counts = setup.groupCounts;
  if (counts === undefined) {
    throw new SpecError('group-dro with generalizationAdjustment > 0 needs context.groupCounts', {
      field: 'context.groupCounts',
    });
  }
  return counts.map((n, g) => {
    if (!Number.isFinite(n) || n <= 0) {
      throw new SpecError(`group ${g} has count ${n}; counts must be positive`, {
        field: `context.groupCounts[${g}]`,
      });
    }
    return c / Math.sqrt(n);
  });
}

class GroupDro implements GroupDroLoss {
  readonly name = 'group-dro';
  readonly numGroups: number;
  readonly #base: WeightedLoss;
  readonly #stepSize: number;
  readonly #adjustment: readonly number[];
  readonly #q: tf.Variable;
  #lastUpdate: string | null = null;

  constructor(base: WeightedLoss, numGroups: number, stepSize: number, adjustment: number[]) {
    this.#base = base;
    this.numGroups = numGroups;
    this.#stepSize = stepSize;
    this.#adjustment = adjustment;
    // Not trainable: tf.variableGrads must not differentiate q (the official code uses .data).
    this.#q = tf.tidy(() => tf.variable(tf.fill([numGroups], 1 / numGroups), false));
  }

  perExample(logits: tf.Tensor2D, labels: tf.Tensor1D, ctx: LossContext): tf.Tensor1D {
    const group = ctx.group;
    if (group === undefined) {
      throw new SpecError('group-dro needs the group id of every example in ctx.group', {
        field: 'context.group',
        epoch: ctx.epoch,
        step: ctx.step,
      });
    }
    return tf.tidy(() => {
      const losses = this.#base.perExample(logits, labels, ctx);
      const membership = tf.cast(tf.oneHot(tf.cast(group, 'int32'), this.numGroups), 'float32');
      const inBatch = tf.sum(membership, 0);
      // Absent groups divide by 1 (their sum is 0). Not tf.divNoNan: it puts an Equal, which has
      // no gradient in tfjs, on the gradient path; this condition depends on the group ids only.
      const divisor = tf.where(tf.greater(inBatch, 0), inBatch, tf.onesLike(inBatch));
      const groupMean = tf.div(tf.sum(tf.mul(membership, tf.expandDims(losses, 1)), 0), divisor);
      // q moves once per training step. A second call for the same (epoch, step), e.g. to log or
      // evaluate, reuses q, so evaluating the loss never changes what is being trained.
      const key = `${ctx.epoch}:${ctx.step}`;
      if (key !== this.#lastUpdate) {
        this.#lastUpdate = key;
        const adjusted = tf.add(groupMean, tf.tensor1d(this.#adjustment as number[]));
        // q ⊙ exp(η·a) / Σ, computed as softmax(log q + η·a): the same numbers, but finite when
        // η·a is in the hundreds (a diverging group) instead of ∞/∞.
        const logQ = tf.log(tf.maximum(this.#q, 1e-30));
        // The new q is computed from the losses on the tape, but the loss below reads the
        // variable, a leaf: no gradient flows into q.
        this.#q.assign(tf.softmax(tf.add(logQ, tf.mul(this.#stepSize, adjusted))));
      }
      const perGroupFactor = tf.div(tf.mul(this.#q, losses.shape[0]), divisor);
      const factor = tf.sum(tf.mul(membership, perGroupFactor), 1);
      return tf.mul(losses, factor) as tf.Tensor1D;
    });
  }

  async groupWeights(): Promise<number[]> {
    return Array.from(await this.#q.data());
  }

  setGroupWeights(q: readonly number[]): void {
    if (q.length !== this.numGroups || q.some((v) => !Number.isFinite(v) || v < 0)) {
      throw new SpecError(`q must be ${this.numGroups} non-negative finite numbers`, {
        field: 'groupWeights',
      });
    }
    tf.tidy(() => this.#q.assign(tf.tensor1d(q as number[])));
  }

  dispose(): void {
    this.#q.dispose();
  }
}

export const groupDroLoss = defineLoss({
  name: 'group-dro',
  description:
    'Group DRO (Sagawa et al. 2020): Σ_g q_g·L̄_g, q ← q⊙exp(η(L̄_g + C/√n_g)), renormalized each step.',
  params,
  properties: {
    logits: 'multiclass',
    requires: ['groups'],
    nonNegative: true,
    shiftInvariant: false,
    monotone: false,
    perExampleIndependent: false,
  },
  create: (p, setup): GroupDroLoss => {
    const groups = resolveGroupCount(p.numGroups, setup);
    const adjustment = adjustments(p.generalizationAdjustment, groups, setup);
    if (p.base === 'group-dro') {
      throw new SpecError('group-dro cannot wrap itself', { field: 'params.base' });
    }
    const base = instantiateByName(p.base, p.baseParams, setup, 'params.baseParams');
    return new GroupDro(base, groups, p.stepSize, adjustment);
  },
});
