// Float64 scalar versions of the formulas, written straight from the reference with plain Math:
// an implementation independent of the tensor code they check.

const softplus = (u: number) => (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)));
const logSumExp = (z: readonly number[]) => {
  const m = Math.max(...z);
  return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
};
const at = (z: readonly number[], j: number) => z[j] as number;
const ce = (z: readonly number[], y: number) => logSumExp(z) - at(z, y);
const sigmoid = (u: number) => 1 / (1 + Math.exp(-u));
/** The binary margin of reference B.0 for one logit or two. */
const margin = (z: readonly number[], y: number) =>
  (y === 1 ? 1 : -1) * (z.length === 1 ? at(z, 0) : at(z, 1) - at(z, 0));
const polyTail = (v: number, alpha: number) =>
  v <= 1 ? softplus(-v) / Math.log(1 + Math.exp(-1)) : v ** -alpha;

export const ref = { softplus, logSumExp, ce, sigmoid, margin, polyTail };
