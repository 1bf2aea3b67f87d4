// The 2-D logistic-regression spec the report's tests store runs of, as written (input) and
// resolved.
import { type ExperimentSpec, type ExperimentSpecInput, resolveSpec } from '@iwlab/experiments';

export function logregInput(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpecInput {
  return {
    data: { kind: 'synthetic', generator: 'separable-gaussians' },
    weights: { kind: 'ratio', ratio: 2 },
    model: { kind: 'logreg' },
    reduction: 'mean',
    optimizer: { kind: 'sgd', lr: 0.1 },
    epochs: 10,
    batchSize: 8,
    seed: 0,
    ...overrides,
  };
}

export function logregSpec(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpec {
  return resolveSpec(logregInput(overrides));
}
