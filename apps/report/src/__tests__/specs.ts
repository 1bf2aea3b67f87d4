// The resolved 2-D logistic-regression spec the report's tests store runs of.
import { type ExperimentSpec, type ExperimentSpecInput, resolveSpec } from '@iwlab/experiments';

export function logregSpec(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpec {
  return resolveSpec({
    data: { kind: 'synthetic', generator: 'separable-gaussians' },
    weights: { kind: 'ratio', ratio: 2 },
    model: { kind: 'logreg' },
    reduction: 'mean',
    optimizer: { kind: 'sgd', lr: 0.1 },
    epochs: 10,
    batchSize: 8,
    seed: 0,
    ...overrides,
  });
}
