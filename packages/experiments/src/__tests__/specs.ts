// A small valid spec for tests: 2-D data, a few epochs.
import type { ExperimentSpecInput } from '../spec.js';

export function tinySpec(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpecInput {
  return {
    data: { kind: 'synthetic', generator: 'separable-gaussians', trainSize: 32, testSize: 32 },
    weights: { kind: 'ratio', ratio: 4 },
    model: { kind: 'logreg' },
    reduction: 'mean',
    optimizer: { kind: 'sgd', lr: 0.1 },
    epochs: 3,
    batchSize: 8,
    seed: 1,
    backend: 'cpu',
    ...overrides,
  };
}
