// The default experiment plan of `iwlab reproduce`: Byrd & Lipton's CIFAR-10 cat-vs-dog grid
// (reference A.4) and its 2-D replica (A.8), in the sizes a laptop CPU can run.

export interface ReproducePlanOptions {
  /** 'small' fits a laptop CPU; 'full' is the paper's scale (GPU). */
  readonly preset: 'small' | 'full';
  readonly seeds: number;
}

export interface PlannedArm {
  readonly experiment: string;
  readonly arm: string;
  readonly weightRatios: readonly number[];
  readonly epochs: number;
  readonly runs: number;
}

/** dog:cat weight ratios r = 4^k, k = -4..4 (reference A.4.4). */
export const PAPER_WEIGHT_RATIOS: readonly number[] = Array.from(
  { length: 9 },
  (_, i) => 4 ** (i - 4),
);

export function reproducePlan(options: ReproducePlanOptions): PlannedArm[] {
  const full = options.preset === 'full';
  const cifarEpochs = full ? 1000 : 30;
  const arms = ['none', 'l2', 'dropout', 'batchnorm'];
  const synthetic: PlannedArm[] = ['logreg', 'mlp'].map((model) => ({
    experiment: '2-D separable Gaussians',
    arm: model,
    weightRatios: [1 / 10, 1, 10],
    epochs: full ? 10_000 : 1000,
    runs: 3 * options.seeds,
  }));
  const cifar: PlannedArm[] = arms.map((arm) => ({
    experiment: 'CIFAR-10 cat vs dog',
    arm,
    weightRatios: PAPER_WEIGHT_RATIOS,
    epochs: cifarEpochs,
    runs: PAPER_WEIGHT_RATIOS.length * options.seeds,
  }));
  return [...synthetic, ...cifar];
}

export function formatPlan(plan: readonly PlannedArm[]): string {
  const lines = plan.map((a) => {
    const ratios = a.weightRatios.map((r) => (r >= 1 ? `${r}:1` : `1:${1 / r}`)).join(' ');
    return `  ${a.experiment.padEnd(26)} ${a.arm.padEnd(10)} ${String(a.epochs).padStart(6)} epochs  ${String(a.runs).padStart(3)} runs  ratios ${ratios}`;
  });
  const total = plan.reduce((s, a) => s + a.runs, 0);
  return [...lines, `  total: ${total} runs`].join('\n');
}
