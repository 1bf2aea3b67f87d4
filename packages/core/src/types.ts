// The contracts every iwlab package meets through. Only types here: no tfjs values are imported,
// so depending on @iwlab/core never pulls a kernel registry into a program.
import type { Scalar, Tensor, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs-core';

/** One mini-batch. Weights travel with the data, never inside a model. */
export interface Batch {
  /** Inputs, batch first. */
  readonly x: Tensor;
  /** Class ids, int32, shape [B]. */
  readonly y: Tensor1D;
  /** Importance weights, float32, shape [B]. Class weights are per-example weights w(y_i). */
  readonly w: Tensor1D;
  /** Group ids (e.g. class x attribute), int32, shape [B], for group metrics and Group DRO. */
  readonly group?: Tensor1D;
}

/**
 * A finite, re-iterable source of batches. `epoch(e)` yields the batches of epoch `e`, shuffled
 * from the source's seed and `e` alone, so a resumed run sees exactly the order it would have
 * seen. The consumer owns (and disposes) every tensor of every batch it receives.
 */
export interface BatchStream {
  readonly numExamples: number;
  readonly batchSize: number;
  epoch(epochIndex: number): AsyncIterable<Batch>;
}

/** A named evaluation set: e.g. "in-domain", "out-of-domain", "noise". */
export interface EvalSet {
  readonly name: string;
  readonly data: BatchStream;
}

/** What a loss may know beyond logits and labels. */
export interface LossContext {
  readonly numClasses: number;
  /** Training-set count per class (LDAM, VS, logit adjustment, balanced softmax). */
  readonly classCounts?: readonly number[];
  /** Training-set count per group (Group DRO's generalization adjustment). */
  readonly groupCounts?: readonly number[];
  /** Group id per example of the current batch, int32 [B] (Group DRO). */
  readonly group?: Tensor1D;
  readonly epoch: number;
  readonly step: number;
}

/**
 * A loss is data plus one pure function: per-example, **unweighted** values of shape [B].
 * The trainer applies the importance weights and the reduction (see `Reduction`).
 */
export interface WeightedLoss {
  /** Registry key, e.g. "ce", "poly", "ldam", "vs". */
  readonly name: string;
  perExample(logits: Tensor2D, y: Tensor1D, ctx: LossContext): Tensor1D;
  /** For stateful losses (Group DRO's q, DRW's schedule): called once per finished epoch. */
  onEpochEnd?(ctx: LossContext): void;
}

/**
 * How Σ w_i ℓ_i becomes one number. Libraries disagree and it changes the effective step size:
 * PyTorch's weighted CE divides by Σw ('normalized'); tfjs's weighted losses divide by the batch
 * size or the count of non-zero weights. iwlab always names it.
 * - 'mean':       Σ w_i ℓ_i / B
 * - 'normalized': Σ w_i ℓ_i / Σ w_i
 * - 'sum':        Σ w_i ℓ_i
 */
export type Reduction = 'mean' | 'normalized' | 'sum';
export const REDUCTIONS: readonly Reduction[] = ['mean', 'normalized', 'sum'];

export type MetricValues = Record<string, number>;

/**
 * A streaming metric: `update` accumulates on the backend (no read-back); `result` reads back
 * once. `S` usually holds tensors; `dispose` frees them.
 */
export interface Metric<S> {
  readonly name: string;
  init(): S;
  /**
   * Returns the new state and disposes the tensors of `state` it no longer uses, so a caller that
   * keeps only the returned state leaks nothing. Must not read back to the CPU.
   */
  update(state: S, logits: Tensor2D, batch: Batch): S;
  result(state: S): Promise<MetricValues>;
  dispose?(state: S): void;
}

/** The regularization switches the paper varies, on every model. */
export interface RegularizationSpec {
  /** Strength λ of an explicit L2 penalty λ·Σ‖W‖² added to the loss (not optimizer weight decay). */
  readonly l2?: number;
  readonly batchNorm?: boolean;
  /** Dropout rate in [0, 1). */
  readonly dropout?: number;
}

export interface ModelSpec extends RegularizationSpec {
  /** Registry key, e.g. "logreg", "mlp", "bl-cnn", "small-cnn", "resnet20". */
  readonly kind: string;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly seed: number;
}

/** Names of the tfjs backends iwlab knows. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** What `initBackend` chose and why: stored with every run. */
export interface BackendInfo {
  readonly name: BackendName;
  readonly requested: BackendChoice;
  readonly reason: string;
  readonly tried: readonly { readonly name: BackendName; readonly error: string }[];
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** A run's lifecycle, as stored. */
export type RunStatus = 'running' | 'done' | 'diverged' | 'failed';

/**
 * What the trainer needs from a model, whatever built it (the zoo in @iwlab/models, or a
 * researcher's own tfjs-layers model wrapped to this shape).
 */
export interface TrainableModel {
  readonly spec: ModelSpec;
  /** Logits [B, K]. `training` turns on dropout and batch-norm batch statistics. */
  apply(x: Tensor, training: boolean): Tensor2D;
  /** The variables the optimizer updates. */
  readonly trainableVariables: readonly Variable[];
  /**
   * The explicit L2 penalty λ·Σ‖W‖² over the weights the spec regularizes (kernels, not biases
   * or batch-norm parameters), as a scalar to add to the loss; null when the spec has no L2.
   */
  regularizationLoss(): Scalar | null;
  /**
   * Every weight, trainable or not (batch-norm moving statistics too), for checkpoints, as
   * **copies the caller owns** (and disposes): never the live variables.
   */
  getWeights(): Tensor[];
  setWeights(weights: readonly Tensor[]): void;
  dispose(): void;
}
