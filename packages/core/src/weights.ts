import { WeightsError } from './errors.js';

/**
 * Rejects weight vectors no experiment can mean: negative, NaN/±Infinity, or all zero.
 * `source` names where the weights came from (a file, a spec field) for the error message.
 */
export function assertValidWeights(weights: ArrayLike<number>, source = 'weights'): void {
  if (weights.length === 0) throw new WeightsError('weight vector is empty', { field: source });
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!Number.isFinite(w)) {
      throw new WeightsError(`weight is ${w}; weights must be finite numbers`, {
        field: `${source}[${i}]`,
      });
    }
    if (w < 0) {
      throw new WeightsError(`weight is ${w}; weights must be >= 0`, { field: `${source}[${i}]` });
    }
    total += w;
  }
  if (total === 0) {
    throw new WeightsError(`all ${weights.length} weights are zero; nothing would be learned`, {
      field: source,
    });
  }
}
