// Predictions of the implicit-bias theory (reference B.14) that the claims table does not cover.
// (a), every weight's curve returns to the unweighted limit, is the 'effect-fades' claim; (c), the
// normalized margins, needs margins the runner does not record. This is (b): for weighted
// logistic/exponential losses on separable data the weights shift the margins only additively,
// so each weight's influence decays like 1/log t, and the heavier the weight, the later its curve
// joins the unweighted one. Read on the seed-averaged curves.
import { settledFrom } from '@iwlab/metrics';
import type { CellEffect, Claim, ClaimEvidence, Verdict } from './claims.js';
import { ratioLabel, testsPaperClaims } from './claims.js';

/** How close (fraction units) a weight's curve must stay to the unweighted one to be settled. */
export const DEFAULT_SETTLE_TOLERANCE = 0.05;

export interface SettlingTime {
  /** The weight ratio w[1]/w[0]. */
  readonly weight: number;
  /**
   * The epoch (1-based) from which the weight's curve stays within the tolerance of the unweighted
   * curve to the end; null when it is still outside at the last evaluation.
   */
  readonly epoch: number | null;
}

/**
 * When each weight's curve (the cell's statistic, seeds averaged) joins the unweighted (weight 1)
 * curve for good; null when the cell has no unweighted run.
 */
export function settlingTimes(
  effect: CellEffect,
  tolerance = DEFAULT_SETTLE_TOLERANCE,
): SettlingTime[] | null {
  const reference = effect.meanByWeight[effect.weights.indexOf(1)];
  if (reference === undefined) return null;
  return effect.weights.flatMap((weight, i) => {
    if (weight === 1) return [];
    const curve = effect.meanByWeight[i] as number[];
    const from = settledFrom(
      curve.map((v, e) => Math.abs(v - (reference[e] as number))),
      tolerance,
    );
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
      const members = (bySize.get(size) as SettlingTime[])
        .map((t) => `${ratioLabel(t.weight)} ${t.epoch === null ? 'never' : `epoch ${t.epoch}`}`)
        .join(', ');
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

/**
 * The theory's prediction (b) as a claim: judged on the unregularized cells trained with the
 * paper's loss, as the 'effect-fades' claim is. Cells whose weights come in one size only (the
 * small preset's 1:4 and 4:1) cannot test it.
 */
export function evaluatePredictions(
  effects: readonly CellEffect[],
  tolerance = DEFAULT_SETTLE_TOLERANCE,
): Claim[] {
  const evidence: ClaimEvidence[] = effects
    .filter((e) => e.cell.arm === 'none' && testsPaperClaims(e.cell))
    .flatMap((e) => {
      const times = settlingTimes(e, tolerance);
      const judged = times === null ? null : growsWithSize(times);
      return judged === null ? [] : [{ cell: e.cell.label, ...judged }];
    });
  const first = evidence[0]?.verdict;
  return [
    {
      id: 'settling-grows-with-weight',
      statement:
        'The heavier the weight, the later its curve joins the unweighted one (time to converge grows with |ln r|)',
      source: 'B.14 prediction (b); Xu, Ye & Ruan 2021 (rates not read, see B.14)',
      verdict:
        first !== undefined && evidence.every((e) => e.verdict === first) ? first : 'inconclusive',
      evidence,
      rule: `unregularized cells with weights of at least two sizes |ln r| besides 1: a weight settles at the first epoch from which its fraction predicted as class 1 (seeds averaged) stays within ${tolerance} of the unweighted run's to the end; a size settles when both r and 1/r have. Reproduced when the settling epoch never falls as |ln r| grows and the largest size settles later than the smallest; not reproduced when a larger size settles earlier; inconclusive otherwise, or when the cells disagree`,
    },
  ];
}
