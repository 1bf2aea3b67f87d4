// Importance-weighted risk on an evaluation set: Σ w_i ℓ_i / Σ w_i with the batch's importance
// weights. With w = q_test(y)/p_train(y) this estimates the risk under the shifted distribution;
// with w = 1 it is the plain mean loss. Accumulated as five running sums on the backend.
import type { LossContext, Metric, WeightedLoss } from '@iwlab/core';
import { SpecError, WeightsError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, checkBatch, classLogits, predictedClass } from './internal/logits.js';
import { checkCount } from './internal/names.js';

export interface WeightedRiskOptions {
  readonly numClasses: number;
  /**
   * Loss ℓ; softmax cross-entropy when omitted. It is called with
   * `{ numClasses, classCounts, epoch: 0, step: 0 }` and must be stateless over evaluation.
   */
  readonly loss?: WeightedLoss;
  /** Passed to the loss (LDAM, VS, logit adjustment need it). */
  readonly classCounts?: readonly number[];
}

export interface RiskState {
  /** Float32 [5]: Σwℓ, Σw, Σw·1[wrong], Σℓ, #invalid weights. */
  readonly sums: tf.Tensor1D;
  readonly seen: number;
}

/**
 * Result keys: `risk` (unweighted mean loss), `weightedRisk` = Σwℓ/Σw,
 * `weightedError` = Σw·1[argmax z ≠ y]/Σw, `weightedAccuracy` = 1 − weightedError, `weightSum`.
 *
 * With no examples only `weightSum` (0) is reported; with Σw = 0 the weighted keys are omitted
 * (no example counts), never NaN. Negative or non-finite weights make `result` throw a
 * WeightsError, because they were counted on the backend without a read-back per batch.
 */
export function weightedRisk(options: WeightedRiskOptions): Metric<RiskState> {
  checkCount(options.numClasses, 'numClasses');
  const k = options.numClasses;
  const name = 'weightedRisk';
  const ctx: LossContext = {
    numClasses: k,
    epoch: 0,
    step: 0,
    ...(options.classCounts === undefined ? {} : { classCounts: options.classCounts }),
  };
  const perExample = (logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D =>
    options.loss === undefined
      ? (tf.neg(
          tf.sum(tf.mul(tf.logSoftmax(classLogits(logits)), tf.oneHot(tf.cast(y, 'int32'), k)), 1),
        ) as tf.Tensor1D)
      : options.loss.perExample(logits, y, ctx);
  return {
    name,
    init: () => ({ sums: tf.zeros([5]) as tf.Tensor1D, seen: 0 }),
    update(state, logits, batch) {
      const size = checkBatch(name, logits, batch, k);
      if (batch.w.rank !== 1 || batch.w.shape[0] !== size) {
        throw new SpecError(`${name}: weights must have shape [${size}], got [${batch.w.shape}]`, {
          field: 'batch.w',
        });
      }
      const delta = tf.tidy(() => {
        const loss = tf.cast(perExample(logits, batch.y), 'float32');
        const w = tf.cast(batch.w, 'float32');
        const wrong = tf.cast(
          tf.notEqual(predictedClass(logits), tf.cast(batch.y, 'int32')),
          'float32',
        );
        const invalid = tf.logicalOr(tf.logicalNot(tf.isFinite(w)), tf.less(w, 0));
        // Invalid weights are zeroed before summing so one of them cannot turn the sums to NaN
        // and hide how many there were.
        const safeW = tf.where(invalid, tf.zerosLike(w), w);
        return tf.stack([
          tf.sum(tf.mul(safeW, loss)),
          tf.sum(safeW),
          tf.sum(tf.mul(safeW, wrong)),
          tf.sum(loss),
          tf.sum(tf.cast(invalid, 'float32')),
        ]) as tf.Tensor1D;
      });
      return { sums: accumulate(state.sums, delta), seen: state.seen + size };
    },
    async result(state) {
      const [wLoss, wSum, wWrong, lossSum, invalid] = Array.from(await state.sums.data()) as [
        number,
        number,
        number,
        number,
        number,
      ];
      if (invalid > 0) {
        throw new WeightsError(
          `${name}: ${invalid} of ${state.seen} weights are negative, NaN or infinite; ` +
            'importance weights must be finite and >= 0',
          { field: 'batch.w' },
        );
      }
      const out: Record<string, number> = { weightSum: wSum };
      if (state.seen > 0) out['risk'] = lossSum / state.seen;
      if (wSum > 0) {
        out['weightedRisk'] = wLoss / wSum;
        out['weightedError'] = wWrong / wSum;
        out['weightedAccuracy'] = 1 - wWrong / wSum;
      }
      return out;
    },
    dispose: (state) => state.sums.dispose(),
  };
}
