// The plans `iwlab reproduce` runs: Byrd & Lipton's two experiments (reference A.3/A.8 and A.4)
// as grids of experiment specs. 'full' is the paper's scale (a GPU); 'small' is shortened to fit
// about 10-15 minutes on a 2-core laptop CPU, and says so in the report; 'tiny' is a 2-D smoke
// test for CI.
import { expandGrid, type GridAxis, type GridPoint } from '@iwlab/experiments';

export type PresetName = 'tiny' | 'small' | 'full';

export interface PlanPart {
  readonly name: string;
  readonly description: string;
  /** True when the part needs the CIFAR-10 cat/dog files. */
  readonly needsCifar: boolean;
  readonly points: readonly GridPoint[];
}

export interface Plan {
  readonly preset: PresetName;
  readonly parts: readonly PlanPart[];
  /** How this preset departs from the paper: printed by the CLI and in the report. */
  readonly shortened: readonly string[];
}

/** dog:cat weight ratios r = 4^k, k = -4..4 (reference A.4.4). */
export const PAPER_WEIGHT_RATIOS: readonly number[] = Array.from(
  { length: 9 },
  (_, i) => 4 ** (i - 4),
);

const seedsAxis = (seeds: number): GridAxis => ({
  path: 'seed',
  values: Array.from({ length: seeds }, (_, i) => i),
});

function twoD(preset: PresetName, seeds: number): PlanPart {
  const epochs = preset === 'full' ? 10_000 : preset === 'small' ? 400 : 6;
  const boundaryEpochs = [1, 10, 100, 1000, 10_000].filter((e) => e < epochs);
  const base = {
    data: {
      kind: 'synthetic',
      generator: 'separable-gaussians',
      // Classes close to the separating line, so the early fan-out is visible.
      params: { margin: 0.1, offset: 0.5 },
      trainSize: preset === 'tiny' ? 64 : 512,
      testSize: preset === 'tiny' ? 64 : 512,
    },
    reduction: 'mean',
    // A.3: lr = 0.01 / σ_max(X); the small preset takes 10x that to fit 400 epochs.
    optimizer: {
      kind: 'sgd',
      lr: { kind: 'inverse-sigma-max', factor: preset === 'full' ? 0.01 : 0.1 },
    },
    epochs,
    batchSize: 8,
    // Tiny dense models run faster on the pure-JS cpu backend than through wasm calls.
    backend: 'cpu',
    evaluation: {
      every: 1,
      boundaryEpochs: [...boundaryEpochs, epochs],
      boundaryResolution: 41,
      // The training margins, for the theory's prediction (c); a pass over 512 points per epoch.
      margins: true,
    },
  };
  // A.3: weight_decay 0.1 (LR) and 0.01 (MLP) under plain SGD equal an L2 penalty of half that.
  const arms =
    preset === 'tiny'
      ? [{ model: { kind: 'logreg' } }, { model: { kind: 'mlp', hidden: [16] } }]
      : [
          { model: { kind: 'logreg' } },
          { model: { kind: 'logreg', l2: 0.05 } },
          { model: { kind: 'mlp', hidden: [64] } },
          { model: { kind: 'mlp', hidden: [64], l2: 0.005 } },
          { model: { kind: 'mlp', hidden: [64], dropout: 0.5 } },
        ];
  const ratios = preset === 'tiny' ? [1 / 10, 10] : [1 / 10, 1, 10];
  return {
    name: '2-D separable Gaussians (A.3)',
    description:
      'Logistic regression and an MLP(64) on linearly separable 2-D Gaussians, weights 1:10, 1:1 and 10:1 on the positive class, batch 8, plain SGD with lr = c / σ_max(X).',
    needsCifar: false,
    points: expandGrid(base, [
      { merge: arms },
      { path: 'weights', values: ratios.map((ratio) => ({ kind: 'ratio', ratio })) },
      seedsAxis(seeds),
    ]),
  };
}

function cifar(preset: 'small' | 'full', seeds: number): PlanPart {
  const small = preset === 'small';
  // Small: the 2025 reproduction's optimizer (SGD, momentum 0.9, lr 0.01), which fits the
  // training subset within a few dozen epochs; full: the paper's (plain SGD, lr 0.1).
  const lr = small ? 0.01 : 0.1;
  const base = {
    data: {
      kind: 'cifar-catdog',
      source: 'lossless',
      noiseImages: small ? 200 : 1000,
      ...(small ? { trainPerClass: 250, evalPerSet: 500 } : {}),
    },
    // PyTorch's weighted CE, as the hjw and thnhan05 reproductions use (reference A.9.1).
    reduction: 'normalized',
    optimizer: { kind: 'sgd', lr, momentum: small ? 0.9 : 0 },
    // 60 (was 30 before the native kernels made training ~2x cheaper): with 30, the 2-D
    // logistic regression's L (0.252) sat just past the 'faded' threshold and dropout had not
    // fitted the CIFAR images (S_end 0.447); with 60, L = 0.185 and S_end 0.116.
    epochs: small ? 60 : 1000,
    batchSize: 16,
    backend: 'auto',
    // The training set's margins in evaluation mode each epoch: whether a net separated its
    // training data, which the training accuracy (dropout on) cannot tell for the dropout arm.
    evaluation: { margins: true },
  };
  // Small CNN with and without BN is the BN arm; the paper's ResNet is too slow for a CPU.
  const model = small ? 'small-cnn' : 'bl-cnn';
  const arms = [
    { model: { kind: model } },
    { model: { kind: model, l2: small ? 1e-3 : 1e-4 } },
    { model: { kind: model, dropout: 0.5 }, optimizer: { lr: lr / 2 } },
    small
      ? { model: { kind: 'small-cnn', batchNorm: true } }
      : { model: { kind: 'resnet20', batchNorm: true } },
    ...(small ? [] : [{ model: { kind: 'resnet20', batchNorm: false } }]),
  ];
  // Small: 1:4 and 4:1, because at 16:1 a 30-epoch run never left "predict the heavy class".
  const ratios = small ? [1 / 4, 1, 4] : PAPER_WEIGHT_RATIOS;
  return {
    name: 'CIFAR-10 cat vs dog (A.4)',
    description: small
      ? 'Small CNN (conv32-pool-conv64-pool-fc128) ± L2 / dropout / batch norm on 250 cats + 250 dogs, weights dog:cat 1:4, 1:1, 4:1, SGD with momentum 0.9 and lr 0.01 for 60 epochs, evaluated every epoch on 500 held-out cats/dogs, 500 other-class images and 200 noise images.'
      : "Byrd & Lipton's CNN ± L2 / dropout, ResNet-20 ± batch norm, on 4,000 + 4,000 training cats/dogs, dog:cat weights 4^k (k = -4..4), evaluated every epoch on the held-out cats/dogs, 8,000 other-class images and 1,000 noise images.",
    needsCifar: true,
    points: expandGrid(base, [
      { merge: arms },
      { path: 'weights', values: ratios.map((ratio) => ({ kind: 'ratio', ratio })) },
      seedsAxis(seeds),
    ]),
  };
}

export function reproducePlan(preset: PresetName, seeds: number): Plan {
  const parts = [twoD(preset, seeds)];
  if (preset !== 'tiny') parts.push(cifar(preset, seeds));
  const shortened =
    preset === 'full'
      ? [
          "CIFAR: the lossless local copy trains on 4,000 + 4,000 images (the paper: 5,000 + 5,000); BN arm on ResNet-20 (the paper's ResNet is not documented).",
        ]
      : preset === 'small'
        ? [
            '2-D: 400 epochs at lr = 0.1/σ_max(X) instead of 10,000 epochs at 0.01/σ_max(X).',
            "CIFAR: small CNN (± batch norm) instead of the paper's CNN and ResNet, 250 + 250 training images, 60 epochs instead of 1,000, SGD with momentum 0.9 and lr 0.01 (dropout arm 0.005) instead of plain SGD at 0.1, ratios 1:4, 1:1, 4:1 instead of 4^k for k = -4..4, 500 + 500 + 200 evaluation images.",
            'Seeds: as many as --seeds (default 1); the paper reports several.',
          ]
        : ['Smoke test: 2-D only, 6 epochs, 64 points, ratios 1:10 and 10:1. Not a reproduction.'];
  return { preset, parts, shortened };
}

export function formatPlan(plan: Plan): string {
  const lines = plan.parts.map((p) => `  ${p.name}: ${p.points.length} runs`);
  const total = plan.parts.reduce((s, p) => s + p.points.length, 0);
  return [...lines, `  total: ${total} runs`].join('\n');
}
