// The "weight effect" (reference A.1, A.4.7): runs that differ only in their importance weight
// fan out early and, on separable data without regularization, collapse later. Per epoch we
// measure how far apart the weights put a statistic (e.g. fractionPredicted.dog), and how much of
// its early fan-out is left. This is the number the claims check compares.
import { DataError, SpecError } from '@iwlab/core';

export interface WeightRun {
  /** The importance weight (e.g. the ratio r = w_dog / w_cat) this run used. */
  readonly weight: number;
  /** The statistic per evaluated epoch; index e is the e-th evaluation of the run. */
  readonly values: readonly number[];
}

export interface WeightEffectOptions {
  /**
   * The early window: the early maximum is taken over the first `earlyEpochs` entries.
   * Default ⌈T/10⌉ for T entries (at least 1).
   */
  readonly earlyEpochs?: number;
  /**
   * The weight the others are compared with in `deviation` (default 1, the unweighted run, when
   * present). Must be one of the runs' weights.
   */
  readonly referenceWeight?: number;
}

export interface WeightEffect {
  /** Distinct weights, ascending. */
  readonly weights: number[];
  /** Per weight (same order), the statistic per epoch averaged over that weight's runs (seeds). */
  readonly meanByWeight: number[][];
  /** Per epoch: max − min across weights of the per-weight means. */
  readonly spread: number[];
  /** Per epoch: population standard deviation across weights of the per-weight means. */
  readonly sd: number[];
  /**
   * Per epoch: the mean of the highest weight minus the mean of the lowest, signed. Where the
   * statistic is the fraction predicted as the class the weight favours, it is positive when the
   * weights push the way they should. Unlike `spread` it is not inflated by noise: with noisy
   * curves and no effect, max − min is positive on average and grows with the number of weights,
   * while the contrast averages to zero over epochs.
   */
  readonly contrast: number[];
  readonly earlyEpochs: number;
  /** max of `spread` over the first `earlyEpochs` entries, and the first index reaching it. */
  readonly earlyMax: number;
  readonly earlyMaxEpoch: number;
  /**
   * Per epoch: spread / earlyMax, the fraction of the early effect still there (1 at the early
   * peak, → 0 when the weights stop mattering; above 1 if the effect grew after the window).
   * Null when earlyMax is 0: there was no early effect to measure a fraction of.
   */
  readonly fractionLeft: number[] | null;
  /** The reference weight, or null when none was given and no run has weight 1. */
  readonly referenceWeight: number | null;
  /**
   * Per weight (order of `weights`), per epoch: |mean_w − mean_ref|, how far that weight's curve is
   * from the reference curve. Null without a reference weight.
   */
  readonly deviation: number[][] | null;
}

/**
 * Spread of a statistic across importance weights at each epoch, and its ratio to the early
 * maximum. Runs sharing a weight (several seeds) are averaged per epoch first, so the spread is
 * between weights, not seeds. Needs at least two distinct weights and equally long series.
 */
export function weightEffect(
  runs: readonly WeightRun[],
  options: WeightEffectOptions = {},
): WeightEffect {
  const length = checkRuns(runs);
  const byWeight = new Map<number, number[][]>();
  for (const run of runs) {
    const list = byWeight.get(run.weight) ?? [];
    list.push([...run.values]);
    byWeight.set(run.weight, list);
  }
  const weights = [...byWeight.keys()].sort((a, b) => a - b);
  if (weights.length < 2) {
    throw new SpecError(`needs runs with at least 2 distinct weights, got ${weights.length}`, {
      field: 'runs',
    });
  }
  const earlyEpochs = options.earlyEpochs ?? Math.max(1, Math.ceil(length / 10));
  if (!Number.isInteger(earlyEpochs) || earlyEpochs < 1 || earlyEpochs > length) {
    throw new SpecError(`must be an integer in [1, ${length}], got ${earlyEpochs}`, {
      field: 'earlyEpochs',
    });
  }
  const meanByWeight = weights.map((w) => {
    const series = byWeight.get(w) as number[][];
    return Array.from(
      { length },
      (_, e) => series.reduce((s, v) => s + (v[e] as number), 0) / series.length,
    );
  });
  const spread: number[] = [];
  const sd: number[] = [];
  const lowest = meanByWeight[0] as number[];
  const highest = meanByWeight[weights.length - 1] as number[];
  const contrast = highest.map((v, e) => v - (lowest[e] as number));
  for (let e = 0; e < length; e++) {
    const column = meanByWeight.map((m) => m[e] as number);
    spread.push(Math.max(...column) - Math.min(...column));
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    sd.push(Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length));
  }
  const { value: earlyMax, index: earlyMaxEpoch } = earlyPeak(spread, earlyEpochs);
  const fractionLeft = earlyMax > 0 ? spread.map((s) => s / earlyMax) : null;
  const referenceWeight = options.referenceWeight ?? (byWeight.has(1) ? 1 : null);
  let deviation: number[][] | null = null;
  if (referenceWeight !== null) {
    const reference = meanByWeight[weights.indexOf(referenceWeight)];
    if (reference === undefined) {
      throw new SpecError(`is ${referenceWeight}, but no run has that weight`, {
        field: 'referenceWeight',
      });
    }
    deviation = meanByWeight.map((m) => m.map((v, e) => Math.abs(v - (reference[e] as number))));
  }
  return {
    weights,
    meanByWeight,
    spread,
    sd,
    contrast,
    earlyEpochs,
    earlyMax,
    earlyMaxEpoch,
    fractionLeft,
    referenceWeight,
    deviation,
  };
}

/**
 * The largest of the first `window` entries of `values` and the first index reaching it: the
 * early peak of a per-epoch effect (`weightEffect`'s `earlyMax` over the spread; a claim's early
 * effect over the contrast).
 */
export function earlyPeak(
  values: readonly number[],
  window: number,
): { readonly value: number; readonly index: number } {
  if (!Number.isInteger(window) || window < 1 || window > values.length) {
    throw new SpecError(`must be an integer in [1, ${values.length}], got ${window}`, {
      field: 'window',
    });
  }
  let index = 0;
  for (let e = 1; e < window; e++) {
    if ((values[e] as number) > (values[index] as number)) index = e;
  }
  return { value: values[index] as number, index };
}

/**
 * The first index from which `series` stays at or below `threshold` to the end (e.g. the epoch a
 * weight's `deviation` settles within 0.02, for B.14's "time to converge grows with |ln r|"), or
 * null if its last value is above it.
 */
export function settledFrom(series: readonly number[], threshold: number): number | null {
  if (!Number.isFinite(threshold)) {
    throw new SpecError(`must be a finite number, got ${threshold}`, { field: 'threshold' });
  }
  let from: number | null = null;
  for (let e = series.length - 1; e >= 0; e--) {
    const v = series[e] as number;
    if (Number.isNaN(v) || v > threshold) break;
    from = e;
  }
  return from;
}

function checkRuns(runs: readonly WeightRun[]): number {
  const first = runs[0];
  if (first === undefined) throw new SpecError('no runs were given', { field: 'runs' });
  const length = first.values.length;
  if (length === 0) throw new SpecError('run has no values', { field: 'runs[0].values' });
  runs.forEach((run, i) => {
    if (!Number.isFinite(run.weight)) {
      throw new SpecError(`is ${run.weight}; weights must be finite`, {
        field: `runs[${i}].weight`,
      });
    }
    if (run.values.length !== length) {
      throw new SpecError(
        `has ${run.values.length} epochs but runs[0] has ${length}; runs must cover the same epochs`,
        { field: `runs[${i}].values` },
      );
    }
    run.values.forEach((v, e) => {
      if (!Number.isFinite(v)) {
        throw new DataError(`is ${v} (run with weight ${run.weight}); values must be finite`, {
          field: `runs[${i}].values[${e}]`,
          epoch: e,
        });
      }
    });
  });
  return length;
}
