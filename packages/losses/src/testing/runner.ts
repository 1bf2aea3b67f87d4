// Runs a loss on plain arrays and reads the values (and gradients) back, so that most checks
// are written on numbers.

import type { LossContext, WeightedLoss } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { weightedReduce } from '../reduce.js';
import type { Fixture } from './fixtures.js';

export interface Runner {
  readonly loss: WeightedLoss;
  readonly fixture: Fixture;
  values(
    logits: readonly (readonly number[])[],
    labels?: readonly number[],
    groups?: readonly number[],
  ): Promise<Float32Array>;
  /** Σ_i c_i ℓ_i through weightedReduce(·, c, 'sum'), and its gradient with respect to the logits. */
  gradient(
    logits: readonly (readonly number[])[],
    coefficients: readonly number[],
    labels?: readonly number[],
    groups?: readonly number[],
  ): Promise<{ value: number; grad: Float32Array }>;
}

export function contextFor(fixture: Fixture, groups: readonly number[]): LossContext {
  return { ...fixture.context, group: tf.tensor1d(groups as number[], 'int32') };
}

export function makeRunner(loss: WeightedLoss, fixture: Fixture): Runner {
  return {
    loss,
    fixture,
    async values(logits, labels = fixture.labels, groups = fixture.groups) {
      const out = tf.tidy(() =>
        loss.perExample(
          tf.tensor2d(logits as number[][], [logits.length, fixture.width]),
          tf.tensor1d(labels as number[], 'int32'),
          contextFor(fixture, groups),
        ),
      );
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    async gradient(logits, coefficients, labels = fixture.labels, groups = fixture.groups) {
      const { value, grad } = tf.tidy(() => {
        const y = tf.tensor1d(labels as number[], 'int32');
        const c = tf.tensor1d(coefficients as number[]);
        const ctx = contextFor(fixture, groups);
        const f = (z: tf.Tensor) =>
          weightedReduce(loss.perExample(z as tf.Tensor2D, y, ctx), c, 'sum');
        const { value, grad } = tf.valueAndGrad(f)(
          tf.tensor2d(logits as number[][], [logits.length, fixture.width]),
        );
        return { value, grad };
      });
      try {
        return {
          value: (await value.data())[0] as number,
          grad: (await grad.data()) as Float32Array,
        };
      } finally {
        value.dispose();
        grad.dispose();
      }
    },
  };
}
