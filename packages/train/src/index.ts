export {
  CHECKPOINT_FILE,
  type CheckpointMeta,
  checkpointExists,
  checkpointPath,
  type RunFingerprint,
  readCheckpointMeta,
} from './checkpoint.js';
export {
  type CheckpointFileContents,
  readCheckpointFile,
  writeCheckpointFile,
} from './checkpoint-file.js';
export { clipGradients, type GradientClip, globalNorm } from './clip.js';
export type { EarlyStoppingState } from './early-stopping.js';
export {
  type AdamSpec,
  createOptimizer,
  type Optimizer,
  type OptimizerSpec,
  type OptimizerState,
  type SgdSpec,
  validateOptimizerSpec,
} from './optimizers.js';
export { type LrSchedule, type LrSpec, learningRateAt, validateLrSpec } from './schedules.js';
export { train } from './train.js';
export type {
  Awaitable,
  BatchEndEvent,
  CheckpointableState,
  CheckpointEvent,
  CheckpointOptions,
  EarlyStoppingOptions,
  EpochEndEvent,
  EpochRecord,
  EpochStartEvent,
  EvaluationEvent,
  EvaluationOptions,
  StatusEvent,
  TrainCallbacks,
  TrainOptions,
  TrainResult,
  TrainStatus,
  WeightsChangeEvent,
} from './types.js';
export { deferredWeightPhases, type WeightPhase, type WeightRule } from './weighting.js';
