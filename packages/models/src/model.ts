// The zoo's one model class: a tfjs-layers graph behind core's TrainableModel, plus what the
// experiments need on top (regularized variables, stable weight names, dropout clock, summary).
import type { TrainableModel } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DropoutClock } from './internal/seeded-dropout.js';
import type { ResolvedZooSpec } from './spec.js';
import { describeModel, type ModelSummary } from './summary.js';

interface NamedWeight {
  /** `<layer name>/<weight name>`, e.g. "conv1/kernel", "stem_bn/moving_mean". */
  readonly name: string;
  readonly variable: tfl.LayerVariable;
}

export class ZooModel implements TrainableModel {
  readonly spec: ResolvedZooSpec;
  /** The underlying tfjs-layers model, for inspection. Train through `apply`, not `fit`. */
  readonly network: tfl.LayersModel;
  readonly #clock: DropoutClock;
  readonly #weights: readonly NamedWeight[];

  constructor(spec: ResolvedZooSpec, network: tfl.LayersModel, clock: DropoutClock) {
    this.spec = spec;
    this.network = network;
    this.#clock = clock;
    this.#weights = network.layers.flatMap((layer) =>
      layer.weights.map((variable) => ({
        name: `${layer.name}/${variable.originalName.split('/').pop()}`,
        variable,
      })),
    );
  }

  /**
   * Logits [B, K]. With `training`, dropout draws masks and batch norm uses (and updates the moving
   * averages from) batch statistics. Each training call advances the dropout clock by one.
   */
  apply(x: tf.Tensor, training: boolean): tf.Tensor2D {
    const expected = this.spec.inputShape;
    if (x.rank !== expected.length + 1 || expected.some((d, i) => x.shape[i + 1] !== d)) {
      throw new SpecError(
        `${this.spec.kind} expects inputs of shape [batch, ${expected.join(', ')}], got [${x.shape.join(', ')}]`,
        { field: 'x' },
      );
    }
    const out = this.network.apply(x, { training }) as tf.Tensor2D;
    if (training) this.#clock.step += 1;
    return out;
  }

  get trainableVariables(): readonly tf.Variable[] {
    return this.#weights
      .filter((w) => w.variable.trainable)
      .map((w) => w.variable.read() as tf.Variable);
  }

  /**
   * The variables the L2 penalty covers: dense and conv kernels. A trainer applying optimizer
   * weight decay can use the same set, or all trainable variables; that choice is the trainer's.
   */
  get regularizedVariables(): readonly tf.Variable[] {
    return this.#weights
      .filter((w) => w.name.endsWith('/kernel'))
      .map((w) => w.variable.read() as tf.Variable);
  }

  /** Names of `getWeights()`'s tensors, in the same order. */
  get weightNames(): readonly string[] {
    return this.#weights.map((w) => w.name);
  }

  /**
   * Training steps taken with dropout so far. Masks depend on (spec seed, this step), so a resumed
   * run restores it to see the masks it would have seen.
   */
  get dropoutStep(): number {
    return this.#clock.step;
  }
  set dropoutStep(step: number) {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new SpecError(`dropoutStep must be a non-negative integer, got ${step}`, {
        field: 'dropoutStep',
      });
    }
    this.#clock.step = step;
  }

  /** λ·Σ‖W‖² over `regularizedVariables`, or null when the spec's l2 is 0. */
  regularizationLoss(): tf.Scalar | null {
    const lambda = this.spec.l2;
    if (lambda === 0) return null;
    return tf.tidy(() => {
      const squares = this.regularizedVariables.map((v) => tf.sum(tf.square(v)));
      return tf.mul(tf.addN(squares), lambda) as tf.Scalar;
    });
  }

  /** Copies of every weight (batch-norm moving statistics included); the caller disposes them. */
  getWeights(): tf.Tensor[] {
    return this.#weights.map((w) => tf.clone(w.variable.read()));
  }

  /** Writes weights in `getWeights()` order; shapes are checked before anything is written. */
  setWeights(weights: readonly tf.Tensor[]): void {
    if (weights.length !== this.#weights.length) {
      throw new SpecError(
        `${this.spec.kind} has ${this.#weights.length} weight tensors, got ${weights.length}`,
        { field: 'weights' },
      );
    }
    this.#weights.forEach((w, i) => {
      const given = weights[i] as tf.Tensor;
      if (!tf.util.arraysEqual(given.shape, w.variable.shape as number[])) {
        throw new SpecError(
          `expected shape [${w.variable.shape.join(', ')}], got [${given.shape.join(', ')}]`,
          { field: `weights.${w.name}` },
        );
      }
    });
    this.#weights.forEach((w, i) => {
      w.variable.write(weights[i] as tf.Tensor);
    });
  }

  /** Layer by layer parameter counts and output shapes, and the regularization switches. */
  summary(): ModelSummary {
    return describeModel(this.spec, this.network);
  }

  dispose(): void {
    this.network.dispose();
  }
}
