export {
  BackendUnavailableError,
  DataError,
  DatasetMissingError,
  DivergedError,
  type ErrorLocation,
  IwlabError,
  SpecError,
  WeightsError,
} from './errors.js';
export {
  DESCENT_STEP_KERNEL,
  SPARSE_SOFTMAX_CE_GRAD_KERNEL,
  SPARSE_SOFTMAX_CE_KERNEL,
} from './kernels.js';
export { mixSeed, Rng } from './rng.js';
export type {
  BackendChoice,
  BackendInfo,
  BackendName,
  Batch,
  BatchStream,
  EvalSet,
  LossContext,
  Metric,
  MetricValues,
  ModelSpec,
  Reduction,
  RegularizationSpec,
  RunStatus,
  TrainableModel,
  WeightedLoss,
} from './types.js';
export { REDUCTIONS } from './types.js';
export { assertValidWeights } from './weights.js';
