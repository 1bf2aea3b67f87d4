// Margins (reference B.14, B.15). The multiclass margin of one example is m_i = z_y − max_{k≠y} z_k
// (for one sigmoid logit s: ỹ·s); it is positive exactly when the example is classified right.
//
// Normalized margin. For an L-homogeneous network (f(cθ) = c^L f(θ): bias-free ReLU/linear
// layers, L = number of layers; L = 1 for a bias-free linear model) we use
//     γ̄ = min_i m_i / ‖θ‖₂^L,   ‖θ‖₂ = the L2 norm of all parameters concatenated.
// It is invariant to rescaling θ, and it is the quantity gradient descent on logistic/CE loss
// increases and drives to a KKT point of the max-margin problem (Lyu & Li 2020; Soudry et al.
// 2018 for L = 1), so B.14's prediction (c) reads: γ̄ converges to the same value for every
// importance weight. The alternative 'layerProduct' divides by Π_l ‖W_l‖_F over the given tensors;
// for the balanced layers gradient flow keeps, the two differ by a constant factor only. For a
// network with biases or batch norm, neither is exactly scale-invariant: report it, but read it
// as a heuristic.
import type { Metric, MetricValues } from '@iwlab/core';
import { DataError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, checkBatch, classLogits, oneHotFloat } from './internal/logits.js';
import { checkCount, labelsFor } from './internal/names.js';

export interface MarginNormalization {
  /** The parameter tensors θ, read once per `result` (e.g. `() => model.trainableVariables`). */
  readonly parameters: () => readonly tf.Tensor[];
  /** 'global' (default): divide by ‖θ‖₂^degree. 'layerProduct': by Π_l ‖θ_l‖_F. */
  readonly kind?: 'global' | 'layerProduct';
  /** Homogeneity degree L, required for 'global' (1 for a linear model). */
  readonly degree?: number;
}

export interface MarginOptions {
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly normalization?: MarginNormalization;
}

export interface MarginState {
  /** Float32 [K]: running minimum margin per true class (+Infinity while a class is unseen). */
  readonly mins: tf.Tensor1D;
  /** Float32 [K]: examples per true class. */
  readonly counts: tf.Tensor1D;
  readonly seen: number;
}

/** Per-example margins z_y − max_{k≠y} z_k, float32 [B] (K = 1 means one sigmoid logit). */
export function exampleMargins(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const z = classLogits(logits);
    const [b, k] = z.shape;
    const mask = tf.cast(tf.oneHot(tf.cast(y, 'int32'), k), 'bool');
    const own = tf.sum(tf.where(mask, z, tf.zerosLike(z)), 1);
    const rival = tf.max(tf.where(mask, tf.fill([b, k], Number.NEGATIVE_INFINITY), z), 1);
    return tf.sub(own, rival) as tf.Tensor1D;
  });
}

/**
 * Result keys: `minMargin` and `classMinMargin.<c>` (γ_c = min over examples of class c); with
 * `normalization`, also `parameterNorm` (the denominator), `normalizedMargin` and
 * `classNormalizedMargin.<c>`. A class with no examples has no keys; with no examples at all
 * only `parameterNorm` can appear; a zero denominator omits the normalized keys. Never NaN.
 */
export function marginMetrics(options: MarginOptions): Metric<MarginState> {
  checkCount(options.numClasses, 'numClasses');
  const k = options.numClasses;
  const labels = labelsFor(k, options.classNames, 'classNames');
  const normalization = options.normalization;
  if (normalization !== undefined) checkNormalization(normalization);
  const name = 'margins';
  return {
    name,
    init: () => ({
      mins: tf.fill([k], Number.POSITIVE_INFINITY) as tf.Tensor1D,
      counts: tf.zeros([k]) as tf.Tensor1D,
      seen: 0,
    }),
    update(state, logits, batch) {
      const size = checkBatch(name, logits, batch, k);
      const [batchMins, batchCounts] = tf.tidy(() => {
        const m = exampleMargins(logits, batch.y);
        const onehot = oneHotFloat(batch.y, k);
        const perClass = tf.where(
          tf.cast(onehot, 'bool'),
          tf.mul(tf.expandDims(m, 1), tf.onesLike(onehot)),
          tf.fill([size, k], Number.POSITIVE_INFINITY),
        );
        return [tf.min(perClass, 0) as tf.Tensor1D, tf.sum(onehot, 0) as tf.Tensor1D];
      });
      const mins = tf.minimum(state.mins, batchMins) as tf.Tensor1D;
      state.mins.dispose();
      batchMins.dispose();
      return { mins, counts: accumulate(state.counts, batchCounts), seen: state.seen + size };
    },
    async result(state) {
      const mins = Array.from(await state.mins.data());
      const counts = Array.from(await state.counts.data());
      const total = counts.reduce((a, b) => a + b, 0);
      if (total !== state.seen) {
        throw new DataError(
          `${name}: ${state.seen - total} of ${state.seen} labels are outside [0, ${k})`,
          { field: 'batch.y' },
        );
      }
      const out: MetricValues = {};
      const denominator =
        normalization === undefined ? undefined : await marginDenominator(normalization);
      if (denominator !== undefined) out['parameterNorm'] = denominator;
      let overall = Number.POSITIVE_INFINITY;
      labels.forEach((label, c) => {
        if ((counts[c] as number) === 0) return;
        const gamma = mins[c] as number;
        overall = Math.min(overall, gamma);
        out[`classMinMargin.${label}`] = gamma;
        if (denominator !== undefined && denominator > 0) {
          out[`classNormalizedMargin.${label}`] = gamma / denominator;
        }
      });
      if (total > 0) {
        out['minMargin'] = overall;
        if (denominator !== undefined && denominator > 0) {
          out['normalizedMargin'] = overall / denominator;
        }
      }
      return out;
    },
    dispose(state) {
      state.mins.dispose();
      state.counts.dispose();
    },
  };
}

/**
 * The normalized margin's denominator: ‖θ‖₂^degree ('global') or Π_l ‖θ_l‖_F ('layerProduct').
 * One read-back.
 */
export async function marginDenominator(normalization: MarginNormalization): Promise<number> {
  checkNormalization(normalization);
  const parameters = normalization.parameters();
  if (parameters.length === 0) {
    throw new SpecError('no parameter tensors were given', { field: 'normalization.parameters' });
  }
  const squares = tf.tidy(() =>
    tf.stack(parameters.map((p) => tf.sum(tf.square(tf.cast(p, 'float32'))))),
  );
  const perTensor = Array.from(await squares.data());
  squares.dispose();
  if (normalization.kind === 'layerProduct') {
    return perTensor.reduce((product, sq) => product * Math.sqrt(sq), 1);
  }
  const norm = Math.sqrt(perTensor.reduce((a, b) => a + b, 0));
  return norm ** (normalization.degree as number);
}

function checkNormalization(n: MarginNormalization): void {
  const kind = n.kind ?? 'global';
  if (kind !== 'global' && kind !== 'layerProduct') {
    throw new SpecError(`unknown kind "${String(kind)}"; use global or layerProduct`, {
      field: 'normalization.kind',
    });
  }
  if (kind === 'global') {
    if (n.degree === undefined || !Number.isFinite(n.degree) || n.degree <= 0) {
      throw new SpecError(
        `needs the network's homogeneity degree L > 0 (1 for a linear model), got ${n.degree}`,
        { field: 'normalization.degree' },
      );
    }
  }
}
