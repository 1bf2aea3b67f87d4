// Small grid points for the queue tests: 2-D data, a few epochs, cpu backend.
import { type GridPoint, resolveSpec, runId } from '@iwlab/experiments';

export function point(seed: number, epochs = 4): GridPoint {
  const spec = resolveSpec({
    data: { kind: 'synthetic', generator: 'separable-gaussians', trainSize: 64, testSize: 32 },
    weights: { kind: 'ratio', ratio: 4 },
    model: { kind: 'mlp', hidden: [8] },
    reduction: 'mean',
    optimizer: { kind: 'sgd', lr: 0.1 },
    epochs,
    batchSize: 8,
    seed,
    backend: 'cpu',
    evaluation: { boundaryEpochs: [epochs] },
  });
  return { id: runId(spec), spec };
}
