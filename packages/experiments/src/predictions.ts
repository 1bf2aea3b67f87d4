// Predictions of the implicit-bias theory (reference B.14) beyond the paper's claims. (a), every
// weight's curve returns to the unweighted limit, is the 'effect-fades' claim. (b): for weighted
// logistic/exponential losses on separable data the weights shift the margins only additively,
// so each weight's influence decays like 1/log t, and the heavier the weight, the later its curve
// joins the unweighted one. (c): the normalized margin converges to the same value for every
// weight (the runs must record margins: `evaluation.margins`). Read on the seed-averaged curves.
import { settledFrom, weightEffect } from '@iwlab/metrics';
import type { CellEffect, Claim, ClaimEvidence, Verdict } from './claims.js';
import { combine, ratioLabel, testsPaperClaims, weightRatio } from './claims.js';
import { MARGINS_SPLIT } from './spec.js';

/** How close (fraction units) a weight's curve must stay to the unweighted one to be settled. */
export const DEFAULT_SETTLE_TOLERANCE = 0.05;

/** Normalized margins within this fraction of their mean: converged to one value. */
export const DEFAULT_MARGIN_TOLERANCE = 0.1;

export interface SettlingTime {
  /** The weight ratio w[1]/w[0]. */
  readonly weight: number;
  /**
   * The epoch (1-based) from which the weight's curve stays within the tolerance of the unweighted
   * curve to the end; null when it is still outside at the last evaluation.
   */
  readonly epoch: number | null;
}

/** "4:1 at 12", "1:16 never": one weight's settling epoch, as the evidence and report write it. */
export function settlingLabel(t: SettlingTime): string {
  return `${ratioLabel(t.weight)} ${t.epoch === null ? 'never' : `at ${t.epoch}`}`;
}

/**
 * When each weight's curve (the cell's statistic, seeds averaged) joins the unweighted (weight 1)
 * curve for good; null when the cell has no unweighted run.
 */
export function settlingTimes(
  effect: CellEffect,
  tolerance = DEFAULT_SETTLE_TOLERANCE,
): SettlingTime[] | null {
  const { deviation } = effect;
  if (deviation === null) return null;
  return effect.weights.flatMap((weight, i) => {
    if (weight === 1) return [];
    const from = settledFrom(deviation[i] as number[], tolerance);
    return [{ weight, epoch: from === null ? null : (effect.epochs[from] ?? null) }];
  });
}

/**
 * Settling time against |ln r|: a weight and its inverse (4:1 and 1:4) form one size, settled
 * when both are. Reproduced when the settling time never falls as the size grows and the largest
 * size settles later than the smallest (a size that never settles counts as latest); not
 * reproduced when a larger size settles strictly earlier than a smaller one; inconclusive when no
 * size settles, or all settle at once. Null when the cell has fewer than two sizes.
 */
function growsWithSize(
  times: readonly SettlingTime[],
): { verdict: Verdict; numbers: string } | null {
  const bySize = new Map<number, SettlingTime[]>();
  for (const t of times) {
    const size = Number(Math.abs(Math.log(t.weight)).toFixed(9));
    bySize.set(size, [...(bySize.get(size) ?? []), t]);
  }
  if (bySize.size < 2) return null;
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  const latest = sizes.map((size) =>
    Math.max(...(bySize.get(size) as SettlingTime[]).map((t) => t.epoch ?? Infinity)),
  );
  const numbers = sizes
    .map((size, i) => {
      const members = (bySize.get(size) as SettlingTime[]).map(settlingLabel).join(', ');
      return `|ln r| ${size.toFixed(2)}: ${Number.isFinite(latest[i]) ? `epoch ${latest[i]}` : 'not settled'} (${members})`;
    })
    .join('; ');
  let verdict: Verdict;
  if (latest.every((t) => t === Infinity)) verdict = 'inconclusive';
  else if (latest.some((t, i) => i > 0 && t < (latest[i - 1] as number)))
    verdict = 'not reproduced';
  else if ((latest.at(-1) as number) > (latest[0] as number)) verdict = 'reproduced';
  else verdict = 'inconclusive';
  return { verdict, numbers };
}

export interface MarginConvergence {
  /** Ascending weight ratios with margins recorded. */
  readonly weights: number[];
  /** Per weight, the normalized training margin per evaluation (seeds averaged). */
  readonly byWeight: number[][];
  /** The epochs (1-based) of those evaluations. */
  readonly epochs: number[];
  /**
   * Per evaluation: (max − min) / mean across weights of the seed-averaged margins; null while
   * some run's own margin is ≤ 0 (it has not separated its training data).
   */
  readonly relativeSpread: (number | null)[];
  /** The first evaluation (index) from which every weight's margin stays positive; null if none. */
  readonly separatedFrom: number | null;
}

/**
 * The normalized training margins of a cell's weights over the epochs (split 'train-margins',
 * key 'normalizedMargin'); null when its runs did not record them or it has one weight.
 */
export function marginConvergence(effect: CellEffect): MarginConvergence | null {
  const runs = effect.cell.runs.flatMap((r) => {
    const values = r.series[MARGINS_SPLIT]?.normalizedMargin;
    return values === undefined ? [] : [{ weight: weightRatio(r.spec), values }];
  });
  if (new Set(runs.map((r) => r.weight)).size < 2) return null;
  const length = Math.min(effect.epochs.length, ...runs.map((r) => r.values.length));
  const series = runs.map((r) => ({ weight: r.weight, values: r.values.slice(0, length) }));
  // An evaluation without a margin (the metric leaves it out for a zero norm): nothing to read.
  if (length === 0 || series.some((r) => !r.values.every(Number.isFinite))) return null;
  const { weights, meanByWeight, spread } = weightEffect(series);
  // Separated means every run's own margin is positive: an average over seeds could hide one.
  const relativeSpread = spread.map((s, e) => {
    if (!series.every((r) => (r.values[e] as number) > 0)) return null;
    return s / (meanByWeight.reduce((sum, m) => sum + (m[e] as number), 0) / weights.length);
  });
  let separatedFrom: number | null = null;
  for (let e = length - 1; e >= 0 && relativeSpread[e] !== null; e--) separatedFrom = e;
  return {
    weights,
    byWeight: meanByWeight,
    epochs: effect.epochs.slice(0, length),
    relativeSpread,
    separatedFrom,
  };
}

/**
 * Prediction (c) for one cell: reproduced when the normalized margins end within the tolerance
 * of one another; inconclusive when they do not (the convergence is asymptotic, at a rate like
 * 1/log t, so no finite run refutes it: the numbers say whether the gap shrank) or when some run
 * has not separated its training data at the end.
 */
function marginsConverge(
  m: MarginConvergence,
  tolerance: number,
): { verdict: Verdict; numbers: string } {
  const last = m.relativeSpread.at(-1) ?? null;
  const ends = m.weights
    .map(
      (w, i) => `${ratioLabel(w)} ${((m.byWeight[i] ?? []).at(-1) ?? Number.NaN).toPrecision(3)}`,
    )
    .join(', ');
  if (last === null || m.separatedFrom === null) {
    return {
      verdict: 'inconclusive',
      numbers: `some run has not separated its training data at the end (normalized margins ${ends})`,
    };
  }
  const first = m.relativeSpread[m.separatedFrom] as number;
  return {
    verdict: last <= tolerance ? 'reproduced' : 'inconclusive',
    numbers: `normalized margins at epoch ${m.epochs.at(-1)}: ${ends}; relative spread (max − min) / mean ${last.toFixed(3)}, from ${first.toFixed(3)} at epoch ${m.epochs[m.separatedFrom]} when every run had first separated its training data for good`,
  };
}

/**
 * The theory's predictions (b) and (c) as claims, judged on the unregularized cells trained with
 * the paper's loss, as the 'effect-fades' claim is. Cells whose weights come in one size only
 * (the small preset's 1:4 and 4:1) cannot test (b); cells without recorded margins cannot test
 * (c).
 */
export function evaluatePredictions(
  effects: readonly CellEffect[],
  tolerance = DEFAULT_SETTLE_TOLERANCE,
  marginTolerance = DEFAULT_MARGIN_TOLERANCE,
): Claim[] {
  const judged = effects.filter((e) => e.cell.arm === 'none' && testsPaperClaims(e.cell));
  const settling: ClaimEvidence[] = judged.flatMap((e) => {
    const times = settlingTimes(e, tolerance);
    const verdict = times === null ? null : growsWithSize(times);
    return verdict === null ? [] : [{ cell: e.cell.label, ...verdict }];
  });
  const margins: ClaimEvidence[] = judged.flatMap((e) => {
    const m = marginConvergence(e);
    return m === null ? [] : [{ cell: e.cell.label, ...marginsConverge(m, marginTolerance) }];
  });
  return [
    {
      id: 'settling-grows-with-weight',
      statement:
        'The heavier the weight, the later its curve joins the unweighted one (time to converge grows with |ln r|)',
      source: 'B.14 prediction (b); Xu, Ye & Ruan 2021 (rates not read, see B.14)',
      verdict: combine(settling),
      evidence: settling,
      rule: `unregularized cells with weights of at least two sizes |ln r| besides 1: a weight settles at the first epoch from which its fraction predicted as class 1 (seeds averaged) stays within ${tolerance} of the unweighted run's to the end; a size settles when both r and 1/r have. Reproduced when the settling epoch never falls as |ln r| grows and the largest size settles later than the smallest; not reproduced when a larger size settles earlier; inconclusive otherwise, or when the cells disagree`,
    },
    {
      id: 'margins-converge',
      statement: 'The normalized training margin converges to the same value for every weight',
      source: 'B.14 prediction (c); Soudry et al. 2018, Lyu & Li 2020',
      verdict: combine(margins),
      evidence: margins,
      rule: `unregularized cells that recorded margins (evaluation.margins): min_i margin_i / ‖θ‖₂ for logistic regression (kernel and bias: the theory's exact setting), / Π_l ‖W_l‖_F over the kernels for deeper nets (a heuristic: their biases break homogeneity); seeds averaged. Reproduced when at the last evaluation every weight's margin is positive and (max − min) / mean ≤ ${marginTolerance}; otherwise inconclusive, never "not reproduced": the convergence is asymptotic (like 1/log t), so a finite run cannot refute it`,
    },
  ];
}
